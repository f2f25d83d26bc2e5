package eventpoll

// DragonFly creates descriptors with their flags in one call; x/sys/unix
// has no Writev for it.
var portableCalls = calls{
	socket:     socketFlags,
	socketpair: socketpairFlags,
	pipe:       pipe2Flags,
	accept:     accept4Flags,
	writev:     writevRaw,
}
