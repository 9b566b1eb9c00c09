// The mDNS / DNS-SD codec in one include: names and their compression
// (dns_name.hpp), messages (dns_message.hpp), and the DNS-SD conventions for
// service names and TXT attributes (dns_sd.hpp).
#pragma once

#include "proto/dns/message.hpp"
#include "proto/dns/name.hpp"
#include "proto/dns/sd.hpp"
