package sim

// itemKey orders the interest set as the kernel's rbr does: by file, then
// by descriptor number (ep_cmp_ffd).
type itemKey struct {
	file uint64
	fd   int
}

func (a itemKey) cmp(b itemKey) int {
	switch {
	case a.file < b.file:
		return -1
	case a.file > b.file:
		return 1
	case a.fd < b.fd:
		return -1
	case a.fd > b.fd:
		return 1
	}
	return 0
}

// itemTree is the interest set (the kernel's rbr, a red-black tree): a
// height-balanced (AVL) search tree of epitems, O(log n) to find, insert
// and delete.
type itemTree struct {
	root *treeNode
	n    int
}

type treeNode struct {
	key         itemKey
	epi         *epitem
	left, right *treeNode
	height      int8
}

func height(n *treeNode) int8 {
	if n == nil {
		return 0
	}
	return n.height
}

func (n *treeNode) fix() {
	n.height = max(height(n.left), height(n.right)) + 1
}

func rotateRight(n *treeNode) *treeNode {
	l := n.left
	n.left = l.right
	l.right = n
	n.fix()
	l.fix()
	return l
}

func rotateLeft(n *treeNode) *treeNode {
	r := n.right
	n.right = r.left
	r.left = n
	n.fix()
	r.fix()
	return r
}

func balance(n *treeNode) *treeNode {
	n.fix()
	switch bf := height(n.left) - height(n.right); {
	case bf > 1:
		if height(n.left.left) < height(n.left.right) {
			n.left = rotateLeft(n.left)
		}
		return rotateRight(n)
	case bf < -1:
		if height(n.right.right) < height(n.right.left) {
			n.right = rotateRight(n.right)
		}
		return rotateLeft(n)
	}
	return n
}

// get returns the item with key k, or nil.
func (t *itemTree) get(k itemKey) *epitem {
	n := t.root
	for n != nil {
		switch c := k.cmp(n.key); {
		case c < 0:
			n = n.left
		case c > 0:
			n = n.right
		default:
			return n.epi
		}
	}
	return nil
}

// insert adds epi under k, which must not be present.
func (t *itemTree) insert(k itemKey, epi *epitem) {
	t.root = insertNode(t.root, k, epi)
	t.n++
}

func insertNode(n *treeNode, k itemKey, epi *epitem) *treeNode {
	if n == nil {
		return &treeNode{key: k, epi: epi, height: 1}
	}
	if k.cmp(n.key) < 0 {
		n.left = insertNode(n.left, k, epi)
	} else {
		n.right = insertNode(n.right, k, epi)
	}
	return balance(n)
}

// delete removes k if present.
func (t *itemTree) delete(k itemKey) {
	var found bool
	t.root = deleteNode(t.root, k, &found)
	if found {
		t.n--
	}
}

func deleteNode(n *treeNode, k itemKey, found *bool) *treeNode {
	if n == nil {
		return nil
	}
	switch c := k.cmp(n.key); {
	case c < 0:
		n.left = deleteNode(n.left, k, found)
	case c > 0:
		n.right = deleteNode(n.right, k, found)
	default:
		*found = true
		if n.left == nil {
			return n.right
		}
		if n.right == nil {
			return n.left
		}
		m := n.right
		for m.left != nil {
			m = m.left
		}
		n.key, n.epi = m.key, m.epi
		n.right = deleteNode(n.right, m.key, new(bool))
	}
	return balance(n)
}

// walk calls fn for every item in key order.
func (t *itemTree) walk(fn func(*epitem)) {
	var rec func(*treeNode)
	rec = func(n *treeNode) {
		if n == nil {
			return
		}
		rec(n.left)
		fn(n.epi)
		rec(n.right)
	}
	rec(t.root)
}

// itemList is an intrusive doubly linked list of epitems through their
// rdllink fields: the ready list (rdllist) and the transfer list (txlist).
// An item is on at most one such list; linked tells whether it is.
type itemList struct {
	head, tail *epitem
	n          int
}

func (epi *epitem) linked() bool { return epi.onList }

func (l *itemList) empty() bool { return l.head == nil }

func (l *itemList) pushBack(epi *epitem) {
	epi.onList = true
	epi.rdPrev, epi.rdNext = l.tail, nil
	if l.tail != nil {
		l.tail.rdNext = epi
	} else {
		l.head = epi
	}
	l.tail = epi
	l.n++
}

func (l *itemList) pushFront(epi *epitem) {
	epi.onList = true
	epi.rdPrev, epi.rdNext = nil, l.head
	if l.head != nil {
		l.head.rdPrev = epi
	} else {
		l.tail = epi
	}
	l.head = epi
	l.n++
}

func (l *itemList) remove(epi *epitem) {
	if epi.rdPrev != nil {
		epi.rdPrev.rdNext = epi.rdNext
	} else {
		l.head = epi.rdNext
	}
	if epi.rdNext != nil {
		epi.rdNext.rdPrev = epi.rdPrev
	} else {
		l.tail = epi.rdPrev
	}
	epi.rdPrev, epi.rdNext, epi.onList = nil, nil, false
	l.n--
}

func (l *itemList) popFront() *epitem {
	epi := l.head
	if epi != nil {
		l.remove(epi)
	}
	return epi
}

// spliceInto moves every item of l to the front of dst (list_splice), or
// to its back, in order, leaving l empty, in O(1).
func (l *itemList) spliceInto(dst *itemList, front bool) {
	if l.head == nil {
		return
	}
	if dst.head == nil {
		dst.head, dst.tail = l.head, l.tail
	} else if front {
		l.tail.rdNext = dst.head
		dst.head.rdPrev = l.tail
		dst.head = l.head
	} else {
		dst.tail.rdNext = l.head
		l.head.rdPrev = dst.tail
		dst.tail = l.tail
	}
	dst.n += l.n
	l.head, l.tail, l.n = nil, nil, 0
}
