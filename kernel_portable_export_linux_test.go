package eventpoll

import "testing"

// UsePortableFallbacks makes PortableHost use, until t ends, the variants of
// the calls that other systems use: socket, socketpair, pipe and accept
// marked with fcntl (darwin; accept on NetBSD and OpenBSD too) and writev
// issued by number (FreeBSD, NetBSD, DragonFly). t must not be parallel.
func UsePortableFallbacks(t testing.TB) {
	saved := portableCalls
	portableCalls = calls{
		socket:     socketFcntl,
		socketpair: socketpairFcntl,
		pipe:       pipeFcntl,
		accept:     acceptFcntl,
		writev:     writevRaw,
	}
	t.Cleanup(func() { portableCalls = saved })
}
