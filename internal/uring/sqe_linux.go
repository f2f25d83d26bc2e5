package uring

import "unsafe"

// SQE is a submission queue entry: struct io_uring_sqe, 64 bytes. Fields
// that are unions in C carry the name of their most common use here.
type SQE struct {
	Opcode      uint8
	Flags       uint8  // IOSQE_* flags
	IoPrio      uint16 // request priority; for POLL_ADD unused
	Fd          int32
	Off         uint64 // offset, or addr2
	Addr        uint64 // buffer address; POLL_REMOVE: user data of the poll to remove
	Len         uint32 // length; POLL_ADD and POLL_REMOVE: IORING_POLL_* flags
	OpFlags     uint32 // rw_flags, poll32_events, msg_flags, ...
	UserData    uint64 // returned unchanged in the CQE
	BufIndex    uint16
	Personality uint16
	FileIndex   int32 // splice_fd_in or file_index
	Addr3       uint64
	_           uint64
}

// CQE is a completion queue entry: struct io_uring_cqe, 16 bytes.
type CQE struct {
	UserData uint64
	Res      int32 // result: >= 0 on success, -errno on failure
	Flags    uint32
}

// More reports whether the request that posted c stays active and will post
// more entries (IORING_CQE_F_MORE, multishot requests).
func (c *CQE) More() bool { return c.Flags&CQEFMore != 0 }

// Opcodes this package knows by name (enum io_uring_op).
const (
	OpNop        uint8 = 0
	OpPollAdd    uint8 = 6
	OpPollRemove uint8 = 7
	OpMsgRing    uint8 = 40
)

// io_uring_setup flags (IORING_SETUP_*).
const (
	SetupCQSize       uint32 = 1 << 3
	SetupClamp        uint32 = 1 << 4
	SetupRDisabled    uint32 = 1 << 6
	SetupSubmitAll    uint32 = 1 << 7
	SetupCoopTaskrun  uint32 = 1 << 8
	SetupTaskrunFlag  uint32 = 1 << 9
	SetupSingleIssuer uint32 = 1 << 12
	SetupDeferTaskrun uint32 = 1 << 13
)

// Features reported by the kernel in Params.Features (IORING_FEAT_*).
const (
	FeatSingleMmap uint32 = 1 << 0
	FeatNoDrop     uint32 = 1 << 1
	FeatExtArg     uint32 = 1 << 8
	FeatCQESkip    uint32 = 1 << 11
)

// io_uring_enter flags (IORING_ENTER_*).
const (
	EnterGetEvents uint32 = 1 << 0
	EnterExtArg    uint32 = 1 << 3
)

// Submission queue flags the kernel sets (IORING_SQ_*).
const (
	SQNeedWakeup uint32 = 1 << 0
	SQCQOverflow uint32 = 1 << 1
	SQTaskrun    uint32 = 1 << 2
)

// CQE flags (IORING_CQE_F_*).
const (
	CQEFBuffer uint32 = 1 << 0
	CQEFMore   uint32 = 1 << 1
)

// POLL_ADD and POLL_REMOVE flags, passed in SQE.Len (IORING_POLL_*).
const (
	PollAddMulti       uint32 = 1 << 0
	PollUpdateEvents   uint32 = 1 << 1
	PollUpdateUserData uint32 = 1 << 2
	PollAddLevel       uint32 = 1 << 3
)

// Offsets of the three mappings (IORING_OFF_*).
const (
	offSQRing int64 = 0
	offCQRing int64 = 0x8000000
	offSQEs   int64 = 0x10000000
)

// io_uring_register opcodes.
const registerProbe = 8

// Params is struct io_uring_params, filled in by io_uring_setup.
type Params struct {
	SQEntries    uint32
	CQEntries    uint32
	Flags        uint32
	SQThreadCPU  uint32
	SQThreadIdle uint32
	Features     uint32
	WQFd         uint32
	_            [3]uint32
	SQOff        SQRingOffsets
	CQOff        CQRingOffsets
}

// SQRingOffsets is struct io_sqring_offsets: where each word of the
// submission queue ring lies in its mapping.
type SQRingOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, _ uint32
	UserAddr                                                    uint64
}

// CQRingOffsets is struct io_cqring_offsets.
type CQRingOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, CQEs, Flags, _ uint32
	UserAddr                                                    uint64
}

// getEventsArg is struct io_uring_getevents_arg (IORING_ENTER_EXT_ARG).
type getEventsArg struct {
	sigmask     uint64
	sigmaskSz   uint32
	minWaitUsec uint32
	ts          uint64
}

// Compile-time checks of the layouts the kernel expects.
var (
	_ [64 - unsafe.Sizeof(SQE{})]byte
	_ [unsafe.Sizeof(SQE{}) - 64]byte
	_ [16 - unsafe.Sizeof(CQE{})]byte
	_ [unsafe.Sizeof(CQE{}) - 16]byte
	_ [120 - unsafe.Sizeof(Params{})]byte
	_ [unsafe.Sizeof(Params{}) - 120]byte
	_ [24 - unsafe.Sizeof(getEventsArg{})]byte
)

// PrepNop makes s a no-op that completes with res 0.
func (s *SQE) PrepNop(userData uint64) {
	*s = SQE{Opcode: OpNop, UserData: userData}
}

// PrepPollAdd makes s a poll of fd for the poll(2) bits in events; flags
// is 0 (one completion) or PollAddMulti (a completion per wake-up until
// removed). The completion's Res is the ready poll(2) bits.
func (s *SQE) PrepPollAdd(fd int, events uint32, flags uint32, userData uint64) {
	*s = SQE{Opcode: OpPollAdd, Fd: int32(fd), OpFlags: events, Len: flags, UserData: userData}
}

// PrepPollRemove makes s the removal of the poll submitted with user data
// target; its own completion carries userData (Res -ENOENT if that poll
// had already completed).
func (s *SQE) PrepPollRemove(target, userData uint64) {
	*s = SQE{Opcode: OpPollRemove, Fd: -1, Addr: target, UserData: userData}
}
