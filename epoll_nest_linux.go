package eventpoll

// FD implements Nestable: the epoll descriptor, readable while events are
// pending (a Wake pending included), so that another Poller or Go's runtime
// poller can watch this one.
func (p *epollPoller) FD() int { return p.epfd }
