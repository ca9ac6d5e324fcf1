package i2np

import (
	"fmt"
	"time"
)

// Body is a decoded message payload: one of the *Message types of this
// package (DatabaseStoreMessage, TunnelDataMessage, ...). Each also has a
// ParseX function taking the payload.
type Body interface {
	// Type is the message type the body belongs to.
	Type() MessageType
	// AppendBinary appends the payload encoding.
	AppendBinary(b []byte) ([]byte, error)
}

// Compile-time checks that every message type is a Body.
var (
	_ Body = DatabaseStoreMessage{}
	_ Body = DatabaseLookupMessage{}
	_ Body = DatabaseSearchReplyMessage{}
	_ Body = DeliveryStatusMessage{}
	_ Body = GarlicMessage{}
	_ Body = TunnelDataMessage{}
	_ Body = TunnelGatewayMessage{}
	_ Body = DataMessage{}
	_ Body = TunnelBuildMessage{}
	_ Body = TunnelBuildReplyMessage{}
	_ Body = VariableTunnelBuildMessage{}
	_ Body = VariableTunnelBuildReplyMessage{}
	_ Body = ShortTunnelBuildMessage{}
	_ Body = OutboundTunnelBuildReplyMessage{}
)

// ParsePayload parses the payload of a message of type t with the matching
// ParseX function and returns the body, whose dynamic type is the value
// type (DatabaseStoreMessage, not a pointer). An unknown or reserved type
// gives an error wrapping ErrUnknownType; callers that forward messages
// they do not understand should not parse them at all.
func ParsePayload(t MessageType, payload []byte) (Body, error) {
	switch t {
	case DatabaseStore:
		return wrap(ParseDatabaseStoreMessage(payload))
	case DatabaseLookup:
		return wrap(ParseDatabaseLookupMessage(payload))
	case DatabaseSearchReply:
		return wrap(ParseDatabaseSearchReplyMessage(payload))
	case DeliveryStatus:
		return wrap(ParseDeliveryStatusMessage(payload))
	case Garlic:
		return wrap(ParseGarlicMessage(payload))
	case TunnelData:
		return wrap(ParseTunnelDataMessage(payload))
	case TunnelGateway:
		return wrap(ParseTunnelGatewayMessage(payload))
	case Data:
		return wrap(ParseDataMessage(payload))
	case TunnelBuild:
		return wrap(ParseTunnelBuildMessage(payload))
	case TunnelBuildReply:
		return wrap(ParseTunnelBuildReplyMessage(payload))
	case VariableTunnelBuild:
		return wrap(ParseVariableTunnelBuildMessage(payload))
	case VariableTunnelBuildReply:
		return wrap(ParseVariableTunnelBuildReplyMessage(payload))
	case ShortTunnelBuild:
		return wrap(ParseShortTunnelBuildMessage(payload))
	case OutboundTunnelBuildReply:
		return wrap(ParseOutboundTunnelBuildReplyMessage(payload))
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownType, t)
}

// wrap turns a typed parse result into a Body, keeping a nil Body on
// error.
func wrap[T Body](v T, err error) (Body, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// NewMessage encodes body as the payload of a Message of body's type.
func NewMessage(id MessageID, expiration time.Time, body Body) (Message, error) {
	p, err := body.AppendBinary(nil)
	if err != nil {
		return Message{}, err
	}
	return Message{Type: body.Type(), ID: id, Expiration: expiration, Payload: p}, nil
}

// Parse parses m.Payload according to m.Type; it is ParsePayload(m.Type,
// m.Payload).
func (m Message) Parse() (Body, error) { return ParsePayload(m.Type, m.Payload) }
