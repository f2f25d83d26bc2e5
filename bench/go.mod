module github.com/eventpoll/eventpoll/bench

go 1.26.0

require (
	github.com/cloudwego/netpoll v0.7.2
	github.com/eventpoll/eventpoll v0.0.0
)

require (
	github.com/HdrHistogram/hdrhistogram-go v1.2.0 // indirect
	github.com/bytedance/gopkg v0.1.1 // indirect
	github.com/cloudwego/gopkg v0.1.4 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/eventpoll/eventpoll => ../
