package tunnel

import (
	"crypto/aes"
	"crypto/cipher"
)

// LayerKeys are one hop's AES-256 keys for the data path, as agreed in the
// tunnel build request (tunnel-creation-ecies.rst: layer key and IV key).
type LayerKeys struct {
	// Layer is the key of the AES-256-CBC layer over the 1008 data bytes.
	Layer [32]byte
	// IV is the key of the AES-256-ECB encryption of the IV, done before
	// and after the layer ("double IV encryption").
	IV [32]byte
}

// ivSetter is implemented by the CBC modes of crypto/aes (and by
// crypto/cipher's generic ones); crypto/tls relies on it too. It lets a
// Cipher reuse one BlockMode per direction for every message.
type ivSetter interface {
	cipher.BlockMode
	SetIV([]byte)
}

// Cipher applies or removes one hop's layer of a tunnel message. It holds
// the expanded AES keys and the CBC modes, so a message costs no
// allocation. A Cipher is not safe for concurrent use: give each worker
// its own (they are cheap, about 2 KB).
type Cipher struct {
	iv  cipher.Block // ECB of the IV
	enc ivSetter     // CBC with the layer key
	dec ivSetter
}

// NewCipher expands k.
func NewCipher(k LayerKeys) *Cipher {
	// aes.NewCipher fails only on a key length other than 16, 24 or 32.
	ivb, _ := aes.NewCipher(k.IV[:])
	lb, _ := aes.NewCipher(k.Layer[:])
	var zero [aes.BlockSize]byte
	c := &Cipher{iv: ivb}
	enc, ok1 := cipher.NewCBCEncrypter(lb, zero[:]).(ivSetter)
	dec, ok2 := cipher.NewCBCDecrypter(lb, zero[:]).(ivSetter)
	if !ok1 || !ok2 {
		// Every crypto/aes Block gives modes with SetIV; this is only a
		// guard against a standard library that stops doing so.
		enc, dec = &cbcMode{b: lb}, &cbcMode{b: lb, decrypt: true}
	}
	c.enc, c.dec = enc, dec
	return c
}

// EncryptLayer adds this hop's layer to the tunnel message b (the 16-byte
// IV and 1008 data bytes, without the tunnel ID), in place. This is what
// every participant does, what an inbound gateway does with its own keys,
// and what an outbound endpoint does to reveal the plaintext
// (tunnels-implementation.html, "Participant Processing"):
//
//	IV   = AES-256-ECB(ivKey, IV)
//	data = AES-256-CBC(layerKey, IV, data)
//	IV   = AES-256-ECB(ivKey, IV)
func (c *Cipher) EncryptLayer(b *[BodyLen]byte) {
	iv := b[:IVLen]
	c.iv.Encrypt(iv, iv)
	c.enc.SetIV(iv)
	c.enc.CryptBlocks(b[IVLen:], b[IVLen:])
	c.iv.Encrypt(iv, iv)
}

// DecryptLayer removes this hop's layer from b in place: the inverse of
// EncryptLayer. The outbound gateway applies it for each hop before
// sending, and the inbound endpoint for each hop after receiving; see
// DecryptLayers for the order.
func (c *Cipher) DecryptLayer(b *[BodyLen]byte) {
	iv := b[:IVLen]
	c.iv.Decrypt(iv, iv)
	c.dec.SetIV(iv)
	c.dec.CryptBlocks(b[IVLen:], b[IVLen:])
	c.iv.Decrypt(iv, iv)
}

// DecryptLayers removes the layers of hops, given in the order the message
// travels, from b in place: it calls DecryptLayer from the last hop to the
// first.
//
// An outbound gateway (the creator) calls it on the plaintext with the
// keys of every hop after it, endpoint included; each hop's EncryptLayer
// then peels one layer and the endpoint sees the plaintext. An inbound
// endpoint (the creator) calls it on what it received with the keys of
// every hop before it, gateway included.
func DecryptLayers(hops []*Cipher, b *[BodyLen]byte) {
	for i := len(hops) - 1; i >= 0; i-- {
		hops[i].DecryptLayer(b)
	}
}

// cbcMode is CBC done block by block, for a crypto/aes without SetIV on its
// modes. It allows in-place operation on whole blocks only.
type cbcMode struct {
	b       cipher.Block
	iv      [aes.BlockSize]byte
	decrypt bool
}

func (m *cbcMode) BlockSize() int  { return aes.BlockSize }
func (m *cbcMode) SetIV(iv []byte) { copy(m.iv[:], iv) }
func (m *cbcMode) CryptBlocks(dst, src []byte) {
	const n = aes.BlockSize
	if !m.decrypt {
		prev := m.iv[:]
		for i := 0; i+n <= len(src); i += n {
			for j := range n {
				dst[i+j] = src[i+j] ^ prev[j]
			}
			m.b.Encrypt(dst[i:i+n], dst[i:i+n])
			prev = dst[i : i+n]
		}
		copy(m.iv[:], prev)
		return
	}
	var c [aes.BlockSize]byte
	for i := 0; i+n <= len(src); i += n {
		copy(c[:], src[i:i+n])
		m.b.Decrypt(dst[i:i+n], src[i:i+n])
		for j := range n {
			dst[i+j] ^= m.iv[j]
		}
		m.iv = c
	}
}
