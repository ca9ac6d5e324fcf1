// Package reseed fetches a first set of RouterInfos for a router whose
// netDb is empty or nearly so: from HTTPS reseed servers, or from a local
// file. It implements "SU3 Reseed File Specification" in updates.rst
// (2025-04, 0.9.65) and the reseeding notes of how-network-database.html;
// the su3 container itself is router/su3.
//
// # From a server
//
// Fetch tries the configured servers in random order. From each it gets
//
//	GET <server URL>i2pseeds.su3?netid=<network ID>
//	User-Agent: Wget/1.11.4
//
// The netid query is in updates.rst since 0.9.42 (proposal 147); the
// User-Agent is the one Java I2P (EepGet) and i2pd (Reseed.cpp) send, which
// some reseed servers require. The body may be at most Config.MaxSize bytes
// and the whole exchange may take at most Config.Timeout.
//
// The body must be an su3 file that
//
//  1. has content type 3 (reseed) and file type 0 (zip);
//  2. names a signer in Config.Signers, whose certificate is valid now
//     (Java I2P refuses expired certificates; updates.rst says
//     implementations should);
//  3. has a signature type the signer's key makes, and a signature that
//     verifies with that key;
//  4. is not older than MaxFileAge by its version, when the version is a
//     Unix time (as Java I2P checks).
//
// Its content is a zip. Only top-level entries named
// routerInfo-<44 base64 characters>.dat are read, each at most
// MaxRouterInfoLen bytes once inflated, at most MaxZipEntries entries per
// zip and MaxRoutersPerFile RouterInfos taken from one file, so a zip bomb
// costs no more than those limits. Each RouterInfo must parse, hash to the
// name of its entry, and carry the configured netId if it has one; its
// signature and age are left to the netDb, which checks every RouterInfo
// it stores.
//
// Fetch stops once it holds Config.MinRouters distinct RouterInfos from
// Config.MinServers servers (Java I2P: 100 from 2), or when it has tried
// every server.
//
// # From a file
//
// FromFile reads the file router.reseed.file names: an su3 reseed file,
// checked as above, or a plain zip of routerInfo-*.dat files (for private
// test networks), told apart by their magic bytes.
//
// Where this differs from Java I2P and i2pd: no fallback to fetching
// individual routerInfo files from a directory listing (Java has it
// disabled too); no proxy support; the servers' TLS certificates are checked
// against the system roots only, so a server with a self-signed TLS
// certificate needs an injected Config.HTTPClient.
package reseed
