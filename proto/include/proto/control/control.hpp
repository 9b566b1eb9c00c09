// The local control protocol, defined once for the daemon's control server
// and the client library (ctl/): guides/control-api.md is its specification.
//
//   control_methods.hpp   version, limits, method and event names, the
//                         method table (admin flag, one-line help)
//   control_params.hpp    params of client requests: structs, encoders, the
//                         daemon's strict decoders
//   control_results.hpp   results: the daemon's encoders, the client's decoders
//   control_response.hpp  the error map, building and reading responses
//   control_events.hpp    handle.call, handle.send and peer events
//
// Framing is proto/control/rpc.hpp (msgpack-RPC; RpcDecoder with a size cap of
// max_message(max_envelope)). Nothing here does I/O or throws.
#pragma once

#include "proto/control/events.hpp"
#include "proto/control/methods.hpp"
#include "proto/control/params.hpp"
#include "proto/control/response.hpp"
#include "proto/control/results.hpp"
