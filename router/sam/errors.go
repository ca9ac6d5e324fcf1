package sam

import (
	"errors"
	"strings"
)

// Result is a SAM RESULT= value (samv3.html "RESULT Values").
type Result string

// The RESULT values of samv3.html, plus NOVERSION (HELLO REPLY) and the
// session results DUPLICATED_ID and INVALID_ID.
const (
	ResultOK               Result = "OK"
	ResultCantReachPeer    Result = "CANT_REACH_PEER"
	ResultDuplicatedDest   Result = "DUPLICATED_DEST"
	ResultDuplicatedID     Result = "DUPLICATED_ID"
	ResultI2PError         Result = "I2P_ERROR"
	ResultInvalidID        Result = "INVALID_ID"
	ResultInvalidKey       Result = "INVALID_KEY"
	ResultKeyNotFound      Result = "KEY_NOT_FOUND"
	ResultPeerNotFound     Result = "PEER_NOT_FOUND"
	ResultTimeout          Result = "TIMEOUT"
	ResultNoVersion        Result = "NOVERSION"
	ResultLeaseSetNotFound Result = "LEASESET_NOT_FOUND"
)

// Error is a failed SAM operation: the RESULT code sent to the client and
// an optional MESSAGE. Err, if set, is the cause (Unwrap returns it).
//
// A Network or Destination may return an *Error (or wrap one) to choose
// the RESULT the client sees, e.g. CANT_REACH_PEER from Dial or
// KEY_NOT_FOUND from Lookup; other errors become I2P_ERROR.
type Error struct {
	Result  Result
	Message string
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sam: ")
	b.WriteString(string(e.Result))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func newError(r Result, msg string) *Error { return &Error{Result: r, Message: msg} }

// resultOf maps err to the RESULT and MESSAGE for a reply. nil is OK.
func resultOf(err error) (Result, string) {
	if err == nil {
		return ResultOK, ""
	}
	var e *Error
	if errors.As(err, &e) {
		msg := e.Message
		if e.Err != nil {
			if msg != "" {
				msg += ": "
			}
			msg += strings.TrimPrefix(e.Err.Error(), "sam: ")
		}
		return e.Result, msg
	}
	return ResultI2PError, strings.TrimPrefix(err.Error(), "sam: ")
}

// Sentinel errors.
var (
	// ErrLineTooLong: a command line exceeded Config.MaxLineLen.
	ErrLineTooLong = errors.New("sam: command line too long")
	// ErrOfflineKeys: a private key with an offline signature, which this
	// bridge does not support.
	ErrOfflineKeys = errors.New("sam: offline-signed private keys are not supported")
	// ErrUnsupportedSigType: a signature type the bridge cannot generate.
	ErrUnsupportedSigType = errors.New("sam: unsupported signature type")
	// ErrUnsupportedCryptoType: an encryption type whose private key
	// length is unknown here.
	ErrUnsupportedCryptoType = errors.New("sam: unsupported encryption type")
	// ErrBadKeys: a private key blob that does not parse or whose private
	// signing key does not match its destination.
	ErrBadKeys = errors.New("sam: invalid private keys")
)
