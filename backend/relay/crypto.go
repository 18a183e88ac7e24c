package relay

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// The relay's cryptography, all from the standard library:
//
//   - Profiles: every person's links carry a person secret (PersonSecretLength
//     bytes, derived by the desk from a key only the desk holds). The relay
//     stores the profile under Lookup(secret) = SHA-256 of a label and the
//     secret, sealed with AES-256-GCM under a key derived from the secret
//     with HKDF-SHA256. Without the link the relay cannot read it.
//   - Form contents and every other event payload are sealed to the desk's
//     X25519 public key with HPKE (RFC 9180: DHKEM(X25519, HKDF-SHA256),
//     HKDF-SHA256, ChaCha20-Poly1305) before they are written.

// PersonSecretLength is the size of the secret in a person's links.
const PersonSecretLength = 16

var b64 = base64.RawURLEncoding.Strict()

var hpkeKDF, hpkeAEAD = hpke.HKDFSHA256(), hpke.ChaCha20Poly1305()

// hpkeInfo binds sealed events to this use.
var hpkeInfo = []byte("resonanz/relay/event/v1")

// PersonSecret derives the person secret of recipientID from the desk's
// person key (≥ 32 bytes, never given to the relay).
func PersonSecret(deskKey []byte, recipientID int64) []byte {
	m := hmac.New(sha256.New, deskKey)
	m.Write([]byte("resonanz/relay/person/v1"))
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], uint64(recipientID))
	m.Write(id[:])
	return m.Sum(nil)[:PersonSecretLength]
}

// EncodeSecret is the textual form of a person secret in a link (?k=).
func EncodeSecret(secret []byte) string { return b64.EncodeToString(secret) }

// DecodeSecret parses the ?k= value; it fails on anything but a
// PersonSecretLength-byte strict base64url string.
func DecodeSecret(s string) ([]byte, error) {
	if len(s) != b64.EncodedLen(PersonSecretLength) {
		return nil, errors.New("relay: malformed person secret")
	}
	b, err := b64.DecodeString(s)
	if err != nil || len(b) != PersonSecretLength {
		return nil, errors.New("relay: malformed person secret")
	}
	return b, nil
}

// Lookup is the key a profile is stored under: a hash of the secret.
func Lookup(secret []byte) []byte {
	h := sha256.New()
	h.Write([]byte("resonanz/relay/lookup/v1\x00"))
	h.Write(secret)
	return h.Sum(nil)
}

func profileAEAD(secret []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, "resonanz/relay/profile/v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func profileAAD(recipientID int64) []byte {
	return binary.BigEndian.AppendUint64([]byte("resonanz/relay/profile/v1\x00"), uint64(recipientID))
}

// SealProfile encrypts a profile (any bytes) for the person with secret;
// the recipient id is bound as associated data, so a blob cannot be moved
// to another person's row.
func SealProfile(secret []byte, recipientID int64, plain []byte) ([]byte, error) {
	a, err := profileAEAD(secret)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(plain)+a.Overhead())
	rand.Read(nonce)
	return a.Seal(nonce, nonce, plain, profileAAD(recipientID)), nil
}

// OpenProfile decrypts what SealProfile sealed.
func OpenProfile(secret []byte, recipientID int64, sealed []byte) ([]byte, error) {
	a, err := profileAEAD(secret)
	if err != nil {
		return nil, err
	}
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return nil, errors.New("relay: sealed profile too short")
	}
	return a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], profileAAD(recipientID))
}

// DeskKey is the desk's HPKE key pair; the relay only ever gets the public half.
type DeskKey struct {
	priv *ecdh.PrivateKey
}

// NewDeskKey makes a fresh key pair.
func NewDeskKey() (DeskKey, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	return DeskKey{priv: k}, err
}

// ParseDeskKey reads a private key stored with Bytes.
func ParseDeskKey(b []byte) (DeskKey, error) {
	k, err := ecdh.X25519().NewPrivateKey(b)
	if err != nil {
		return DeskKey{}, fmt.Errorf("relay: desk key: %w", err)
	}
	return DeskKey{priv: k}, nil
}

// Bytes is the private key, for the desk's secret store.
func (k DeskKey) Bytes() []byte { return k.priv.Bytes() }

// Public is the public key the relay seals events to.
func (k DeskKey) Public() []byte { return k.priv.PublicKey().Bytes() }

// Open decrypts an event payload sealed to this key; aad binds the
// event's id and kind.
func (k DeskKey) Open(sealed, aad []byte) ([]byte, error) {
	pk, err := hpke.NewDHKEMPrivateKey(k.priv)
	if err != nil {
		return nil, err
	}
	return hpke.Open(pk, hpkeKDF, hpkeAEAD, append(append([]byte{}, hpkeInfo...), aad...), sealed)
}

// sealTo seals plain to the desk's public key (32 bytes X25519).
func sealTo(public, aad, plain []byte) ([]byte, error) {
	pub, err := ecdh.X25519().NewPublicKey(public)
	if err != nil {
		return nil, fmt.Errorf("relay: desk public key: %w", err)
	}
	pk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return hpke.Seal(pk, hpkeKDF, hpkeAEAD, append(append([]byte{}, hpkeInfo...), aad...), plain)
}

// Address entries let the relay find a person by the address typed into
// its profile login or signup form, and nothing else: the desk publishes,
// per person, AddressLookup(addressKey, address) and, sealed under a key
// derived from the address itself, the person's id and person secret. The
// address key (random, from the desk) is kept in the relay's secret store,
// never in its data directory; without it the data directory does not even
// tell whether an address is there.

// AddressLookup is the key an address entry is stored under: HMAC-SHA256
// of the normalized address (resonanz.NormalizeEmail's key).
func AddressLookup(addressKey []byte, emailKey string) []byte {
	m := hmac.New(sha256.New, addressKey)
	m.Write([]byte("resonanz/relay/address/v1\x00"))
	m.Write([]byte(emailKey))
	return m.Sum(nil)
}

func addressAEAD(addressKey []byte, emailKey string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, []byte(emailKey), addressKey, "resonanz/relay/address-entry/v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// AddressEntry is what an address opens: whose it is and their person
// secret (the relay then opens the profile with it).
type AddressEntry struct {
	RecipientID int64  `json:"r"`
	Secret      []byte `json:"k"`
}

// SealAddress seals e under a key only the address (with the address
// key) derives.
func SealAddress(addressKey []byte, emailKey string, e AddressEntry) (PubAddress, error) {
	lookup := AddressLookup(addressKey, emailKey)
	a, err := addressAEAD(addressKey, emailKey)
	if err != nil {
		return PubAddress{}, err
	}
	plain, _ := json.Marshal(e)
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(plain)+a.Overhead())
	rand.Read(nonce)
	return PubAddress{Lookup: lookup, Sealed: a.Seal(nonce, nonce, plain, lookup)}, nil
}

// openAddress opens an entry sealed by SealAddress.
func openAddress(addressKey []byte, emailKey string, lookup, sealed []byte) (AddressEntry, error) {
	var e AddressEntry
	a, err := addressAEAD(addressKey, emailKey)
	if err != nil {
		return e, err
	}
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return e, errors.New("relay: sealed address entry too short")
	}
	plain, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], lookup)
	if err != nil {
		return e, err
	}
	return e, json.Unmarshal(plain, &e)
}
