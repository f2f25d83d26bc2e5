package eventpoll

// FDSetSize is the largest fd number plus one that select can watch. On
// NetBSD it is 256: the fd_set of x/sys/unix there is [8]uint32, NetBSD's
// default FD_SETSIZE, and the select backend refuses fds >= 256 with
// ErrFDTooLarge (its kernel would accept more only from a program that
// declares a larger fd_set, which x/sys/unix does not).
const FDSetSize = 256
