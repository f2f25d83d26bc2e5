module github.com/eventpoll/eventpoll/bench/resp

go 1.26.0

require (
	github.com/eventpoll/eventpoll v0.0.0
	github.com/tidwall/redcon v1.6.4
)

require (
	github.com/tidwall/btree v1.1.0 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/eventpoll/eventpoll => ../..
