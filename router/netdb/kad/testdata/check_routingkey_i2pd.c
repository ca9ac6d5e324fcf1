/* Cross-check of routingkey_vectors.txt with the C library, formatting the
 * date the way i2pd 2.45.1 does (libi2pd/Timestamp.cpp GetDateString:
 * gmtime_r, then sprintf "%04i%02i%02i"; Identity.cpp CreateRoutingKey:
 * SHA-256 over the 32-byte hash followed by those 8 bytes).
 *
 * Build and run:
 *   cc -o /tmp/check_routingkey_i2pd check_routingkey_i2pd.c -lcrypto
 *   /tmp/check_routingkey_i2pd < routingkey_vectors.txt
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void date_string(long long secs, char out[9]) {
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 9, "%04i%02i%02i", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static void routing_key_hex(const unsigned char hash[32], const char date[9], char out[65]) {
	unsigned char buf[40], md[32];
	memcpy(buf, hash, 32);
	memcpy(buf + 32, date, 8);
	SHA256(buf, 40, md);
	for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", md[i]);
}

int main(void) {
	char line[512];
	int n = 0;
	while (fgets(line, sizeof line, stdin)) {
		char hhex[65], d[9], k[65], nd[9], nk[65], got[65], gd[9];
		long long ms;
		unsigned char hash[32];
		if (line[0] == '#') continue;
		if (sscanf(line, "%64s %lld %8s %64s %8s %64s", hhex, &ms, d, k, nd, nk) != 6) continue;
		for (int i = 0; i < 32; i++) sscanf(hhex + 2 * i, "%2hhx", &hash[i]);
		date_string(ms / 1000, gd);
		routing_key_hex(hash, gd, got);
		if (strcmp(gd, d) || strcmp(got, k)) { printf("mismatch today: %s", line); return 1; }
		date_string((ms / 86400000 + 1) * 86400, gd);
		routing_key_hex(hash, gd, got);
		if (strcmp(gd, nd) || strcmp(got, nk)) { printf("mismatch next: %s", line); return 1; }
		n++;
	}
	printf("ok: %d vectors agree with gmtime_r + %%04i%%02i%%02i + SHA-256\n", n);
	return 0;
}
