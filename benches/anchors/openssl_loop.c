/* The anchor of docs/PERFORMANCE.md: the leading-zero search as a plain C loop
 * over OpenSSL's SHA512_Init/Update/Final with an in-place decimal counter, on
 * one core. Build and run (Debian: apt-get install libssl-dev):
 *
 *   gcc -O2 -o /tmp/openssl_loop benches/anchors/openssl_loop.c -lcrypto
 *   /tmp/openssl_loop 7        # zeros; prints the answer and hashes per second
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
    int zeros = argc > 1 ? atoi(argv[1]) : 6;
    char digits[32] = "0";
    int len = 1;
    unsigned char digest[64];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned long long n = 0;; n++) {
        SHA512_CTX ctx;
        SHA512_Init(&ctx);
        SHA512_Update(&ctx, digits, len);
        SHA512_Final(digest, &ctx);
        int z = 0;
        for (int i = 0; i < 64 && z < zeros; i++) {
            if (digest[i] == 0) { z += 2; continue; }
            if (digest[i] < 0x10) z += 1;
            break;
        }
        if (z >= zeros) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
            printf("(%d, %llu, '%02x%02x%02x%02x...') %.3fs %.2f M hashes/s\n", zeros, n,
                   digest[0], digest[1], digest[2], digest[3], s, (n + 1) / s / 1e6);
            return 0;
        }
        /* the in-place decimal counter */
        int i = len - 1;
        while (i >= 0 && digits[i] == '9') digits[i--] = '0';
        if (i >= 0) digits[i]++;
        else { memmove(digits + 1, digits, len); digits[0] = '1'; len++; }
    }
}
