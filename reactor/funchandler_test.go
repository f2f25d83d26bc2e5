package reactor

// funcHandler adapts functions to Handler.
type funcHandler struct {
	open  func(*Conn)
	data  func(*Conn)
	close func(*Conn, error)
}

func (h *funcHandler) OnOpen(c *Conn) {
	if h.open != nil {
		h.open(c)
	}
}

func (h *funcHandler) OnData(c *Conn) {
	if h.data != nil {
		h.data(c)
	} else {
		c.Discard(-1)
	}
}

func (h *funcHandler) OnClose(c *Conn, err error) {
	if h.close != nil {
		h.close(c, err)
	}
}
