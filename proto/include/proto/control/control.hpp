// The local control protocol, defined once for the daemon's control server
// and the client library (ctl/): guides/control-api.md is its specification.
//
//   methods.hpp          version, limits, the shape of a method description,
//                        the method table (admin flag, one-line help)
//   daemon_methods.hpp   hello, identity, status, peers, trust.*
//   handle_methods.hpp   expose, unexpose, call, send
//   session_methods.hpp  subscribe, connect
//   events.hpp           handle.call, handle.send and peer events
//   schema.hpp           the field descriptors each method is described with
//   codec.hpp            encoding and decoding any method from its description
//   response.hpp         the error map, building and reading responses
//
// Framing is proto/control/rpc.hpp (msgpack-RPC; RpcDecoder with a size cap of
// max_message(max_envelope)). Nothing here does I/O or throws.
#pragma once

#include "proto/control/codec.hpp"
#include "proto/control/events.hpp"
#include "proto/control/methods.hpp"
#include "proto/control/response.hpp"
