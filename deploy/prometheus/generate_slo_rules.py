#!/usr/bin/env python3
"""Writes deploy/prometheus/slo.yml: the suite's SLOs as recording rules and multi-window,
multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs", method 6).

    python3 deploy/prometheus/generate_slo_rules.py           # rewrite slo.yml
    python3 deploy/prometheus/generate_slo_rules.py --check   # exit 1 when slo.yml differs

Why a generator: every SLO needs the same error ratio over seven windows and the same four
window pairs; written by hand, one window or one threshold always drifts. The checked-in file is
what Prometheus, the Helm chart (files/slo.yml) and `promtool test rules` read; the test
`prometheus_slo_rules_generated` fails when it is not this script's output.

Label scheme: every expression aggregates `by (service)` (plus the SLI's own dimensions), never
by job, namespace, pod or instance, so the rules work under any scrape configuration.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "slo.yml")

# Server-side failures: the caller did nothing wrong. Client errors (INVALID_ARGUMENT, NOT_FOUND,
# FAILED_PRECONDITION, ...) are answers, not unavailability.
GRPC_SERVER_ERRORS = "UNKNOWN|DEADLINE_EXCEEDED|INTERNAL|UNAVAILABLE|DATA_LOSS"
# Health checks and reflection are the platform's, not the API's; GET /v1/events is a stream
# that lasts as long as the client wants, so it has no latency.
GRPC_API = 'grpc_service!~"grpc[.].*"'
HTTP_API = 'route!="/v1/events"'

WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]

# (long window, short window, burn-rate factor, severity, "fast"/"slow") — the workbook's table:
# 2% of a 30-day budget in an hour pages, 5% in six hours pages, 10% in three days is a ticket.
# The 1d/2h pair at 3x catches a slower burn a day earlier than 3d/6h.
PAIRS = [
    ("1h", "5m", 14.4, "critical", "Fast"),
    ("6h", "30m", 6, "critical", "Fast"),
    ("1d", "2h", 3, "warning", "Slow"),
    ("3d", "6h", 1, "warning", "Slow"),
]


def slis():
    """Each SLO: name, objective, error-ratio expression for a window, labels it keeps."""
    return [
        {
            "name": "grpc_availability",
            "alert": "ItsmGrpcAvailability",
            "objective": 0.999,
            "what": "gRPC calls answered without a server-side error",
            "by": "service",
            "ratio": lambda w: (
                f'sum by (service) (rate(itsm_grpc_server_handled_total{{{GRPC_API},'
                f'grpc_code=~"{GRPC_SERVER_ERRORS}"}}[{w}]))\n'
                f'  / sum by (service) (rate(itsm_grpc_server_handled_total{{{GRPC_API}}}[{w}]))'),
        },
        {
            "name": "grpc_latency",
            "alert": "ItsmGrpcLatency",
            "objective": 0.99,
            "what": "gRPC calls answered within 250 ms",
            "by": "service",
            "ratio": lambda w: (
                f'1 - sum by (service) (rate(itsm_grpc_server_handling_seconds_bucket{{{GRPC_API},'
                f'le="0.25"}}[{w}]))\n'
                f'  / sum by (service) (rate(itsm_grpc_server_handling_seconds_count{{{GRPC_API}}}[{w}]))'),
        },
        {
            "name": "http_availability",
            "alert": "ItsmHttpAvailability",
            "objective": 0.999,
            "what": "HTTP requests at the gateway answered without a 5xx",
            "by": "service",
            # A code's series exists only once a request got it: with no 5xx yet the errors are
            # 0, not absent (else the ratio, the alert and the panels would have no value).
            "ratio": lambda w: (
                f'(\n  sum by (service) (rate(itsm_gateway_http_requests_total{{{HTTP_API},code=~"5.."}}[{w}]))\n'
                f'  or 0 * sum by (service) (rate(itsm_gateway_http_requests_total{{{HTTP_API}}}[{w}]))\n)\n'
                f'  / sum by (service) (rate(itsm_gateway_http_requests_total{{{HTTP_API}}}[{w}]))'),
        },
        {
            "name": "http_latency",
            "alert": "ItsmHttpLatency",
            "objective": 0.99,
            "what": "HTTP requests at the gateway answered within 250 ms",
            "by": "service",
            "ratio": lambda w: (
                f'1 - sum by (service) (rate(itsm_gateway_http_request_duration_seconds_bucket{{{HTTP_API},'
                f'le="0.25"}}[{w}]))\n'
                f'  / sum by (service) (rate(itsm_gateway_http_request_duration_seconds_count{{{HTTP_API}}}[{w}]))'),
        },
        {
            # A warning or breach fired more than a second after it fell due is late: the
            # sla-timer's histogram of (delivered to Kafka - due), per timer process (incident
            # clocks and change clocks are two): a breach fired on time but stuck in the Redis
            # outbox while the brokers are away counts as late.
            "name": "sla_event_freshness",
            "alert": "ItsmSlaEventFreshness",
            "objective": 0.99,
            "what": "SLA warnings and breaches published within 1 s of falling due",
            "by": "service",
            "ratio": lambda w: (
                f'1 - sum by (service) (rate(itsm_sla_event_publish_delay_seconds_bucket{{le="1"}}[{w}]))\n'
                f'  / sum by (service) (rate(itsm_sla_event_publish_delay_seconds_count[{w}]))'),
        },
    ]


def record_name(sli, window):
    return f"service:itsm_slo_{sli['name']}_errors:ratio_rate{window}"


def yaml_block(text, indent):
    pad = " " * indent
    return "|\n" + "\n".join(pad + line for line in text.splitlines())


def anchor(alert):
    return alert.lower()


def render():
    out = []
    w = out.append
    w("# GENERATED by deploy/prometheus/generate_slo_rules.py: edit the script, then run it.")
    w("# The suite's SLOs: recording rules (error ratio of each SLI over each window) and")
    w("# multi-window, multi-burn-rate alerts (docs/observability.md, SLOs; docs/runbooks.md).")
    w("# Tested by deploy/prometheus/tests/*.yml (promtool test rules).")
    w("groups:")
    for sli in slis():
        budget = round(1 - sli["objective"], 6)
        w(f"  - name: itsm-slo-{sli['name'].replace('_', '-')}")
        w("    rules:")
        # The objective as a series, so dashboards draw the budget line from the rules.
        w(f"      - record: itsm:slo_objective:ratio")
        w(f"        expr: vector({sli['objective']})")
        w(f"        labels: {{slo: {sli['name']}}}")
        for window in WINDOWS:
            w(f"      - record: {record_name(sli, window)}")
            w(f"        expr: {yaml_block(sli['ratio'](window), 10)}")
        for speed in ("Fast", "Slow"):
            pairs = [p for p in PAIRS if p[4] == speed]
            severity = pairs[0][3]
            conditions = []
            for long_w, short_w, factor, _, _ in pairs:
                threshold = round(factor * budget, 6)
                conditions.append(
                    f"(\n  {record_name(sli, long_w)} > {threshold}\n"
                    f"  and\n  {record_name(sli, short_w)} > {threshold}\n)")
            expr = "\nor\n".join(conditions)
            name = f"{sli['alert']}Burn{speed}"
            windows = ", ".join(f"{p[0]}/{p[1]} at {p[2]}x" for p in pairs)
            w(f"      - alert: {name}")
            w(f"        expr: {yaml_block(expr, 10)}")
            if speed == "Slow":
                w("        for: 15m")
            w(f"        labels: {{severity: {severity}, slo: {sli['name']}}}")
            w("        annotations:")
            w(f'          summary: "{{{{ $labels.service }}}}: the error budget of the SLO '
              f'\'{sli["what"]}: {sli["objective"] * 100:g}%\' burns too fast ({windows})"')
            w(f"          runbook_url: docs/runbooks.md#{anchor(name)}")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text = render()
    if args.check:
        with open(OUT) as f:
            if f.read() != text:
                print(f"{OUT} is not the generator's output: run {sys.argv[0]}", file=sys.stderr)
                return 1
        return 0
    with open(OUT, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
