package streaming

import "fmt"

func (m *Manager) dump() string {
	m.mu.Lock()
	cs := make([]*Conn, 0)
	for _, c := range m.conns {
		cs = append(cs, c)
	}
	m.mu.Unlock()
	s := ""
	for _, c := range cs {
		c.mu.Lock()
		s += fmt.Sprintf("conn %d state %d incoming %v wc %v cq %v ca %v rc %v uc %v inflight %d nextSeq %d rcvNext %d err %v\n",
			c.localID, c.state, c.incoming, c.writeClosed, c.closeQueued, c.closeAcked, c.remoteClosed, c.userClosed, len(c.inflight), c.nextSeq, c.rcvNext, c.err)
		c.mu.Unlock()
	}
	return s
}
