/* getifaddrs(3) wrapper. */
#include "lan.h"
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

size_t lan_addresses(char out[][INET_ADDRSTRLEN], size_t max)
{
    struct ifaddrs *ifa = NULL;
    size_t n = 0;
    if (getifaddrs(&ifa) != 0)
        return 0;
    for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
            !(i->ifa_flags & IFF_UP))
            continue;
        inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out[n++], INET_ADDRSTRLEN);
    }
    freeifaddrs(ifa);
    return n;
}
