// Package addressbook is the router's naming: the hosts.txt codec
// (including the signed "#!" command lines), the address books kept in the
// router's datadir/addressbook, the subscription fetcher that keeps the
// router book fed, and the Resolver the proxies look names up with.
//
// It implements the hosts.txt format and the subscription feed commands of
// spec/subscription.rst ("Addressbook Subscription Feed Commands",
// accurate for 0.9.49), following Java I2P's addressbook (Daemon,
// AddressBook, HostTxtParser) and net.i2p.client.naming.HostTxtEntry where
// the spec leaves things open.
//
// # Lines
//
//	example.i2p=<base64 destination>
//	example.i2p=<dest>#!k1=v1#k2=v2...   signed Add or Change
//	#!k1=v1#k2=v2...                     signed Remove (name and dest in fields)
//	# comment, ; comment, blank
//
// Names are lower-cased and checked as Java's AddressBook.isValidKey (see
// ValidName). The first '#' ends the name=dest part; fields follow only
// when it starts "#!". Duplicate keys make the line invalid.
//
// # Signatures
//
// "sig" is checked with the key of the line's destination (for Remove
// lines, the "dest" field's) over "name=dest" followed by "#!" and the
// other fields sorted by key and joined with '#' (Remove lines: the fields
// only); "oldsig" (the inner signature) with the key of "olddest" over the
// same without sig and oldsig. Entry.SignedBytes and InnerSignedBytes
// build these messages; they are made from the parsed fields, which keep
// the received bytes, so a line Java signed verifies here.
//
// # Actions
//
// Feeds only ever change the router book, one entry at a time in feed
// order, feeds in Config order:
//
//   - plain line, or signed Add (no action): added when no book has the
//     name ("first come, first served"); otherwise skipped, or counted as
//     a conflict when the destination differs.
//   - addname, changename: the new name, if unknown, with the line's
//     destination; oldname must be unknown or have that destination.
//     changename also removes oldname from the router book.
//   - addsubdomain: oldname must be the parent domain; oldsig by olddest
//     (the parent's holder) is required, and olddest must be the parent's
//     known destination if we know the parent.
//   - adddest, changedest: oldsig by olddest is required; olddest must be
//     a known destination of the name, if we know the name. adddest adds
//     the line's destination as an extra one (lookups still give the
//     first); changedest replaces them all.
//   - remove: removes name's dest, signed by that dest. removeall: removes
//     dest from every name of the router book.
//   - update: treated as an Add (we keep no metadata; Java may replace a
//     known destination on the new destination's signature alone, which
//     we do not).
//
// Commands about names in the private or local books are skipped: those
// are the user's.
//
// # Books
//
// In Config.Dir: privatehosts.txt (private, never published),
// userhosts.txt (local: the user's own, where Add saves), hosts.txt
// (router: from subscriptions, started from the embedded defaults/hosts.txt
// when missing), published.txt (local plus router, for serving to others),
// subscriptions.json (each feed's ETag, Last-Modified and fetch times).
// Books are plain hosts.txt files Java reads; a name with extra (adddest)
// destinations is written as several lines, the primary last, since
// Java's readers keep a name's last line. Every file is written atomically
// (temporary file, sync, rename). Lookups go private, local, router.
//
// # Lifecycle
//
// New validates and allocates. Load reads the books; Run calls it if need
// be, then fetches each feed every Config.Interval through the injected
// *http.Client (conditional GET with If-None-Match and If-Modified-Since;
// a 304 applies nothing), with MaxFeedSize and FetchTimeout limits, until
// its context is done. FetchNow does a round at once; Status reports each
// feed. Run is the only goroutine; fetch rounds never overlap.
//
// # Lookups
//
// Resolver.Resolve gives the base64 destination (ErrUnknownName when no
// book has the name); B32 the b32 address of a known name, DestB32 that of
// a destination; List a book's names with destinations and b32 addresses;
// Add saves an address-helper name into the local book and refuses
// (ErrConflict) a name known with another destination.
//
// # Not done
//
// The jump-service and registration helpers, Java's BlockfileNamingService
// (hostsdb.blockfile) and its import, per-entry metadata (Java's received
// properties, added and modified times) and so the update action's
// metadata, the date and expires fields (not enforced), deleting names
// from the user's books, serving published.txt (the eepsite's job), and the
// real well-known entries of defaults/hosts.txt. Conflicts are logged one
// by one at Debug level, and counted in the per-feed Info summary and
// Status.
package addressbook
