// Package seccomptest makes io_uring unavailable to the calling process
// with a seccomp filter, so that tests can check the fallback paths for
// real, in a child process (the filter cannot be removed again).
package seccomptest
