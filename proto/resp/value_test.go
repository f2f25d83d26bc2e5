package resp

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValue(t *testing.T) {
	in := "*5\r\n+OK\r\n-ERR x\r\n:-42\r\n$3\r\na\r\n\r\n*2\r\n$-1\r\n*-1\r\n"
	v, n, err := ParseValue([]byte(in), Limits{})
	if err != nil || n != len(in) {
		t.Fatalf("err %v n %d", err, n)
	}
	if got := v.String(); got != "[OK ERR(ERR x) -42 \"a\\r\\n\" [(nil) (nil array)]]" {
		t.Fatalf("got %s", got)
	}
	for i := 0; i < len(in); i++ {
		if _, _, err := ParseValue([]byte(in[:i]), Limits{}); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("prefix %d: %v", i, err)
		}
	}
}

func TestParseValueLimits(t *testing.T) {
	lim := Limits{MaxBulkLen: 4, MaxArrayLen: 3, MaxDepth: 2, MaxInlineLen: 16}
	bad := []string{
		"$5\r\nhello\r\n",
		"*4\r\n",
		"*1\r\n*1\r\n*1\r\n:1\r\n",
		"+" + strings.Repeat("x", 20),
		"?x\r\n",
		":abc\r\n",
		"$2\r\nabcd",
		"+a\n",
	}
	for _, b := range bad {
		if _, _, err := ParseValue([]byte(b), lim); !errors.Is(err, ErrProtocol) {
			t.Errorf("%q: err = %v, want ErrProtocol", b, err)
		}
	}
	if _, _, err := ParseValue([]byte("*1\r\n*1\r\n:1\r\n"), lim); err != nil {
		t.Errorf("depth 2: %v", err)
	}
}
