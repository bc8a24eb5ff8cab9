#include "services/sla-timer/src/sla_timer_service_info.h"

#include "itsm/redis/redis_settings.h"

namespace itsm::sla_timer {

runtime::ServiceInfo SlaTimerServiceInfo() {
  using runtime::EnumOption;
  using runtime::IntOption;
  using runtime::StringOption;
  return {"sla-timer",
          50056,
          9156,
          {
              StringOption("redis_address", "127.0.0.1:6379",
                           "Redis (host:port) holding the clocks; run it with AOF."),
              redis::RedisUsernameOption(),
              redis::RedisPasswordOption(),
              redis::RedisPasswordFileOption(),
              StringOption("redis_key_prefix", "itsm:sla",
                           "Prefix of every Redis key the timer writes."),
              StringOption("sla_address", "127.0.0.1:50054",
                           "The SLA service (definitions, calendars, applicability)."),
              // 0 is allowed: every incident event then asks the SLA service (tests, debugging).
              IntOption("definition_cache_seconds", 30, 0, 86400,
                        "The creation-time bucket of cached ResolveApplicableSla answers; those "
                        "answers, current calendars and whether a definition is retired are read "
                        "again a second after they were read (less when this is less); pinned "
                        "versions are cached forever."),
              StringOption("configuration_address", "",
                           "The configuration service, to read the class and location zone of a "
                           "record's configuration item; empty: records have no CI class and "
                           "CI-location definitions use default_time_zone."),
              StringOption("default_time_zone", "",
                           "Zone for definitions whose zone comes from the caller or CI location; "
                           "empty: the calendar's."),
              // At least 10 ms: the loop polls Redis for every owned partition each round.
              IntOption("fire_poll_interval_ms", 100, 10, 60000,
                        "How often each owned partition is checked for due clocks."),
              // At least 2: a partition is drained until a batch comes back under half full, which
              // a batch of 1 (half of it rounds to 0) never does.
              IntOption("fire_batch", 500, 2, 10000, "Due incidents taken per Redis round trip."),
              IntOption("publish_poll_interval_ms", 100, 10, 60000,
                        "How often the Redis outbox is checked without a wake-up."),
              IntOption("closed_retention_hours", 168, 0, 87600,
                        "How long a closed or cancelled record's clocks stay in Redis once all are "
                        "done (0: forever)."),
              StringOption("consumer_group", "itsm-sla-timer",
                           "Consumer group on the record topic: its replicas share the "
                           "partitions. Positions are kept in Redis with the clocks, not in "
                           "the group."),
              EnumOption("record_topic", "itsm.incident.v1", {"itsm.incident.v1", "itsm.change.v1"},
                         "The records whose clocks this timer runs: incidents and service "
                         "requests, or changes (one timer per topic, each with its own "
                         "consumer_group and redis_key_prefix)."),
          }};
}

}  // namespace itsm::sla_timer
