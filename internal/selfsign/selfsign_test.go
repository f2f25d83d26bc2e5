package selfsign

import (
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.TLS.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: c.Pool()}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: c.Pool()}); err == nil {
		t.Error("verified for example.com")
	}
	// The fingerprint is what openssl prints.
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed: fingerprint not cross-checked")
	}
	f := filepath.Join(t.TempDir(), "cert.pem")
	os.WriteFile(f, c.CertPEM, 0o600)
	out, err := exec.Command("openssl", "x509", "-in", f, "-noout", "-fingerprint", "-sha256").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasSuffix(got, "="+c.Fingerprint) {
		t.Errorf("openssl says %q, Fingerprint is %q", got, c.Fingerprint)
	}
}
