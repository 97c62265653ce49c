/* This machine's LAN addresses: what phones on the same Wi-Fi can use. */
#ifndef QZ_LAN_H
#define QZ_LAN_H
#include <arpa/inet.h>
#include <stddef.h>

#define LAN_MAX_ADDRS 8

/* The IPv4 addresses of up, non-loopback interfaces (at most max). */
size_t lan_addresses(char out[][INET_ADDRSTRLEN], size_t max);

#endif
