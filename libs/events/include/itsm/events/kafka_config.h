// librdkafka configuration shared by the producer and the consumers: the bootstrap servers plus
// operator-supplied properties ("key=value;key=value"), validated up front.
#ifndef ITSM_EVENTS_KAFKA_CONFIG_H_
#define ITSM_EVENTS_KAFKA_CONFIG_H_

#include <librdkafka/rdkafka.h>

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace itsm::events {

// "a=1;b=2" -> {a:1, b:2}. INVALID_ARGUMENT for an entry without '=' (named by its position:
// a malformed entry may be a secret).
absl::StatusOr<std::map<std::string, std::string>> ParseKafkaProperties(const std::string& text);

// A new rd_kafka_conf_t with every property set; INVALID_ARGUMENT names the property librdkafka
// rejected, with its value unless the property is a secret (sasl.password, ssl.key.password, ...:
// see IsSecretKafkaProperty). The caller owns the result (or hands it to rd_kafka_new).
absl::StatusOr<rd_kafka_conf_t*> MakeKafkaConf(const std::map<std::string, std::string>& props);

// Whether a librdkafka property holds a secret, whose value must never reach a log or an error:
// a password, a secret, or key material given inline (ssl.key.pem, sasl.oauthbearer.config).
bool IsSecretKafkaProperty(const std::string& key);

}  // namespace itsm::events

#endif  // ITSM_EVENTS_KAFKA_CONFIG_H_
