#!/usr/bin/env python3
"""Writes the suite's Grafana dashboards (deploy/grafana/*.json) from one description.

    python3 deploy/grafana/generate_dashboards.py           # rewrite the JSON files
    python3 deploy/grafana/generate_dashboards.py --check   # exit 1 when a file differs

Why a generator: every service dashboard has the same RED and saturation rows, and every query
must follow one label scheme — it selects on `service` (the label each process puts on its own
series, docs/metrics.md) and never on job, namespace, pod or instance, so the dashboards work
with the local scrape config, pod annotations and a ServiceMonitor alike. The test
`grafana_dashboards_generated` fails when a checked-in file is not this script's output, and
`dashboards_and_rules_e2e_test` evaluates every query against a real Prometheus scraping the
real suite.

Queries use fixed windows ([5m]) and one variable, `$service` (a regular expression), so the
e2e test can run them unchanged but for that variable.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

DS = {"type": "prometheus", "uid": "${datasource}"}
# Server-side failures (the SLO's) and client answers, as deploy/prometheus/slo.yml counts them.
SERVER_ERRORS = "UNKNOWN|DEADLINE_EXCEEDED|INTERNAL|UNAVAILABLE|DATA_LOSS"
CLIENT_ERRORS = "INVALID_ARGUMENT|NOT_FOUND|ALREADY_EXISTS|FAILED_PRECONDITION|ABORTED|PERMISSION_DENIED|UNAUTHENTICATED|RESOURCE_EXHAUSTED"
API = 'grpc_service!~"grpc[.].*"'
S = 'service=~"$service"'

# Which services keep a database (group commits, outbox) and publish events.
DB_SERVICES = ["incident", "change", "configuration", "sla", "supplier", "webhooks"]


class Board:
    def __init__(self, uid, title, description, service_var):
        self.uid = uid
        self.title = title
        self.description = description
        self.service_var = service_var  # (default regex, query for the choices)
        self.panels = []
        self.y = 0
        self.x = 0

    def row(self, title):
        if self.x:
            self.y += 8
            self.x = 0
        self.panels.append({"type": "row", "title": title, "collapsed": False,
                            "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}, "panels": []})
        self.y += 1

    def panel(self, title, targets, unit="short", description="", kind="timeseries", width=12):
        if self.x + width > 24:
            self.y += 8
            self.x = 0
        p = {
            "type": kind,
            "title": title,
            "description": description,
            "gridPos": {"x": self.x, "y": self.y, "w": width, "h": 8},
            "datasource": DS,
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [
                {"expr": expr, "legendFormat": legend, "refId": chr(ord("A") + i), "datasource": DS}
                for i, (expr, legend) in enumerate(targets)
            ],
        }
        self.panels.append(p)
        self.x += width
        if self.x >= 24:
            self.x = 0
            self.y += 8

    def json(self):
        for i, p in enumerate(self.panels):
            p["id"] = i + 1
        default, query = self.service_var
        return {
            "title": self.title,
            "uid": self.uid,
            "description": self.description,
            "schemaVersion": 38,
            "version": 1,
            "editable": True,
            "time": {"from": "now-1h", "to": "now"},
            "refresh": "30s",
            "tags": ["itsm"],
            "templating": {"list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus",
                 "label": "Data source"},
                {"name": "service", "type": "query", "label": "Service", "datasource": DS,
                 "query": query, "regex": "", "includeAll": True, "multi": True,
                 "allValue": default, "current": {"text": "All", "value": "$__all"}},
            ]},
            "panels": self.panels,
        }


def red_rows(b, grpc=True):
    """Rate, errors, duration and saturation of the processes `$service` selects."""
    b.row("Rate, errors, duration (gRPC API; health checks and reflection excluded)")
    if grpc:
        b.panel("Calls per second by method",
                [(f"sum by (service, grpc_method) (rate(itsm_grpc_server_handled_total{{{S},{API}}}[5m]))",
                  "{{service}} {{grpc_method}}")], unit="reqps")
        b.panel("Server-side errors per second by method and code",
                [(f'sum by (service, grpc_method, grpc_code) (rate(itsm_grpc_server_handled_total{{{S},{API},grpc_code=~"{SERVER_ERRORS}"}}[5m]))',
                  "{{service}} {{grpc_method}} {{grpc_code}}")], unit="reqps",
                description="The availability SLO's errors (deploy/prometheus/slo.yml).")
        b.panel("Client errors per second by code (bad input, not found, conflicts, refused)",
                [(f'sum by (service, grpc_code) (rate(itsm_grpc_server_handled_total{{{S},{API},grpc_code=~"{CLIENT_ERRORS}"}}[5m]))',
                  "{{service}} {{grpc_code}}")], unit="reqps",
                description="Answers, not failures: they do not count against the SLO.")
        b.panel("Latency p50 and p99 by method",
                [(f"histogram_quantile(0.99, sum by (service, grpc_method, le) (rate(itsm_grpc_server_handling_seconds_bucket{{{S},{API}}}[5m])))",
                  "p99 {{service}} {{grpc_method}}"),
                 (f"histogram_quantile(0.5, sum by (service, grpc_method, le) (rate(itsm_grpc_server_handling_seconds_bucket{{{S},{API}}}[5m])))",
                  "p50 {{service}} {{grpc_method}}")], unit="s")
        b.panel("SLO error ratios, last hour (availability, latency)",
                [(f"service:itsm_slo_grpc_availability_errors:ratio_rate1h{{{S}}}", "availability {{service}}"),
                 (f"service:itsm_slo_grpc_latency_errors:ratio_rate1h{{{S}}}", "latency {{service}}")],
                unit="percentunit",
                description="Recording rules of deploy/prometheus/slo.yml; the objectives are 99.9% and 99%: "
                            "an error ratio of 0.001 (availability) or 0.01 (latency) spends the budget exactly.")
    b.row("Saturation")
    b.panel("CPU (cores used)",
            [(f"sum by (service) (rate(process_cpu_seconds_total{{{S}}}[5m]))", "{{service}}")], unit="short", width=8)
    b.panel("Resident memory",
            [(f"sum by (service) (process_resident_memory_bytes{{{S}}})", "{{service}}")], unit="bytes", width=8)
    b.panel("Open file descriptors (share of the limit)",
            [(f"max by (service) (process_open_fds{{{S}}} / process_max_fds{{{S}}})", "{{service}}")],
            unit="percentunit", width=8)


def db_rows(b):
    b.panel("Database: group-commit transaction p99",
            [(f"histogram_quantile(0.99, sum by (service, le) (rate(itsm_storage_group_commit_seconds_bucket{{{S}}}[5m])))",
              "{{service}}")], unit="s", width=8,
            description="BEGIN to end of COMMIT, fsync included: the database's own latency.")
    b.panel("Database: writes per transaction (avg)",
            [(f"sum by (service) (rate(itsm_storage_group_commit_units_sum{{{S}}}[5m])) / sum by (service) (rate(itsm_storage_group_commit_units_count{{{S}}}[5m]))",
              "{{service}}")], unit="short", width=8,
            description="Near 1: the database keeps up; rising: writes queue and share transactions.")


def outbox_panels(b, width=8):
    b.panel("Outbox: events not yet on Kafka",
            [(f"max by (service) (itsm_outbox_unpublished_events{{{S}}})", "{{service}}")], width=width,
            description="Counted in the database (every replica reports the same: max).")
    b.panel("Outbox: oldest unpublished event's age",
            [(f"max by (service) (itsm_outbox_oldest_unpublished_age_seconds{{{S}}})", "{{service}}")],
            unit="s", width=width)


def domain_events_panel(b, types, title):
    regex = "|".join(t.replace(".", "[.]") for t in types)
    b.panel(title, [(f'sum by (type) (rate(itsm_domain_events_total{{{S},type=~"{regex}"}}[5m]))', "{{type}}")],
            unit="ops", description="Published events (acknowledged by Kafka), itsm_domain_events_total.")


def service_board(name, title, domain, grpc=True, db=True, services=None):
    services = services or [name]
    regex = "|".join(services)
    b = Board(f"itsm-{name}", f"itsm {title}",
              f"RED, saturation and domain panels of {', '.join(services)}. Generated by "
              "deploy/grafana/generate_dashboards.py.",
              (regex, f'label_values(itsm_build_info{{service=~"{regex}"}}, service)'))
    red_rows(b, grpc=grpc)
    if db:
        db_rows(b)
    b.row("Domain")
    domain(b)
    return b


def incident_domain(b):
    b.panel("Open incidents by priority",
            [(f'sum by (priority) (itsm_incidents{{{S},state=~"NEW|ASSIGNED|IN_PROGRESS|ON_HOLD"}})', "{{priority}}")],
            description="itsm_incidents{state,priority}, counted in the database every store_gauge_interval_seconds.")
    b.panel("Incidents by state",
            [(f"max by (state) (sum by (service, state) (itsm_incidents{{{S}}}))", "{{state}}")])
    b.panel("Backlog: oldest open incident by priority",
            [(f"max by (priority) (itsm_incidents_open_oldest_age_seconds{{{S}}})", "{{priority}}")], unit="s")
    domain_events_panel(b, ["itsm.incident.v1.IncidentCreated", "itsm.incident.v1.IncidentResolved",
                            "itsm.incident.v1.IncidentReopened"], "Incidents created, resolved, reopened per second")
    b.panel("Service requests and problems by state",
            [(f"max by (state) (sum by (service, state) (itsm_service_requests{{{S}}}))", "request {{state}}"),
             (f"max by (state) (sum by (service, state) (itsm_problems{{{S}}}))", "problem {{state}}")])
    b.panel("Alert notifications by outcome (alerts that open incidents)",
            [(f"sum by (outcome) (rate(itsm_alert_notifications_total{{{S}}}[5m]))", "{{outcome}}")], unit="ops")
    outbox_panels(b, width=12)


def change_domain(b):
    b.panel("Changes by state (open)",
            [(f'max by (state) (itsm_change_changes{{{S},state!~"CLOSED|CANCELLED"}})', "{{state}}")])
    b.panel("Conflicts found by kind (per hour)",
            [(f"sum by (kind) (increase(itsm_change_conflicts_found_total{{{S}}}[1h]))", "{{kind}}")])
    b.panel("Approval latency p90 (AUTHORISE to decision)",
            [(f"histogram_quantile(0.9, sum by (le) (rate(itsm_change_approval_latency_seconds_bucket{{{S}}}[1d])))", "p90")],
            unit="s")
    b.panel("Incidents linked to changes (per hour)",
            [(f"sum(increase(itsm_change_caused_incident_links_total{{{S}}}[1h]))", "links")])
    outbox_panels(b, width=12)


def configuration_domain(b):
    b.panel("Configuration items by class (not retired)",
            [(f'max by (class) (sum by (service, class) (itsm_cmdb_configuration_items{{{S},status!="RETIRED"}}))', "{{class}}")])
    b.panel("Relationships by type",
            [(f"max by (type) (itsm_cmdb_relationships{{{S}}})", "{{type}}")])
    outbox_panels(b, width=12)


def sla_domain(b):
    b.panel("Open SLA clocks by stage and kind",
            [(f"sum by (stage, kind) (max by (stage, kind, agreement, priority, breached) (itsm_sla_open_clocks{{{S}}}))",
              "{{kind}} {{stage}}")])
    b.panel("SLA clocks ended in the last hour, by outcome",
            [(f"sum by (outcome) (max by (kind, agreement, priority, outcome) (delta(itsm_sla_ended_clocks{{{S}}}[1h])))",
              "{{outcome}}")])
    b.panel("History: events applied from itsm.sla.v1 by result",
            [(f"sum by (result) (rate(itsm_consumer_events_total{{{S}}}[5m]))", "{{result}}")], unit="ops")
    outbox_panels(b, width=12)


def timer_domain(b):
    b.panel("Open clocks by kind and stage",
            [(f"sum by (service, kind, stage) (itsm_sla_timer_open_clocks{{{S}}})", "{{service}} {{kind}} {{stage}}")])
    b.panel("Warnings and breaches fired per second",
            [(f"sum by (service, kind, event) (rate(itsm_sla_timer_fired_total{{{S}}}[5m]))", "{{service}} {{kind}} {{event}}")],
            unit="ops")
    b.panel("Firing delay p99 (fired minus due)",
            [(f"histogram_quantile(0.99, sum by (service, le) (rate(itsm_sla_clock_fire_delay_seconds_bucket{{{S}}}[5m])))", "{{service}}")],
            unit="s", description="The SLA-event freshness SLO: 99% within 1 s.")
    b.panel("Clock events written per second by type",
            [(f"sum by (service, type) (rate(itsm_sla_timer_clock_events_total{{{S}}}[5m]))", "{{service}} {{type}}")],
            unit="ops")
    b.panel("Record events behind (seconds)",
            [(f"max by (service) (itsm_sla_timer_consumer_lag_seconds{{{S}}})", "{{service}}")], unit="s", width=8)
    b.panel("Partitions owned",
            [(f"sum by (service) (itsm_sla_timer_owned_partitions{{{S}}})", "{{service}}")], width=8,
            description="While no replica owns a partition of a topic, none of its records' clocks fires.")
    b.panel("Clock events waiting in the Redis outbox",
            [(f"sum by (service) (itsm_sla_timer_outbox_pending_events{{{S}}})", "{{service}}")], width=8)
    b.panel("Seconds since the last pass over the due clocks",
            [(f"time() - max by (service, instance) (itsm_sla_timer_last_fire_pass_time_seconds{{{S}}})",
              "{{instance}}")], unit="s", width=8,
            description="A pass runs every fire_poll_interval_ms; a pass that cannot complete (Redis down or hung) fires nothing.")


def supplier_domain(b):
    b.panel("Contracts by state",
            [(f"max by (state) (itsm_supplier_contracts{{{S}}})", "{{state}}")])
    b.panel("Deadlines due within 30 days",
            [(f"max(itsm_supplier_deadlines_due_30d{{{S}}})", "due")])
    b.panel("Deadlines fired (per hour) by kind",
            [(f"sum by (kind) (increase(itsm_supplier_deadlines_fired_total{{{S}}}[1h]))", "{{kind}}")])
    b.panel("Underpinning-contract compliance (UC clocks met, last 30 days)",
            [(f"max by (supplier) (itsm_supplier_uc_compliance_ratio{{{S}}})", "{{supplier}}")], unit="percentunit")
    outbox_panels(b, width=12)


def webhooks_domain(b):
    b.panel("Deliveries by state",
            [(f"max by (state) (itsm_webhooks_deliveries{{{S}}})", "{{state}}")])
    b.panel("Deliveries finished per second by outcome",
            [(f"sum by (outcome) (rate(itsm_webhooks_deliveries_total{{{S}}}[5m]))", "{{outcome}}")], unit="ops")
    b.panel("Attempts per second by result",
            [(f"sum by (result) (rate(itsm_webhooks_attempts_total{{{S}}}[5m]))", "{{result}}")], unit="ops")
    b.panel("Attempt duration p99 and attempts in flight",
            [(f"histogram_quantile(0.99, sum by (le) (rate(itsm_webhooks_attempt_duration_seconds_bucket{{{S}}}[5m])))", "p99"),
             (f"sum(itsm_webhooks_in_flight{{{S}}})", "in flight")])


def gateway_domain(b):
    route = 'route!="/v1/events"'
    b.panel("HTTP requests per second by route and code",
            [(f"sum by (route, code) (rate(itsm_gateway_http_requests_total{{{S}}}[5m]))", "{{route}} {{code}}")], unit="reqps")
    b.panel("HTTP 5xx per second by route",
            # A code's series exists once a request got it: 0 per route until then, not no data.
            [(f'sum by (route) (rate(itsm_gateway_http_requests_total{{{S},code=~"5.."}}[5m])) '
              f'or 0 * sum by (route) (rate(itsm_gateway_http_requests_total{{{S}}}[5m]))', "{{route}}")],
            unit="reqps")
    b.panel("HTTP latency p99 by route (event streams excluded)",
            [(f"histogram_quantile(0.99, sum by (route, le) (rate(itsm_gateway_http_request_duration_seconds_bucket{{{S},{route}}}[5m])))",
              "{{route}}")], unit="s")
    b.panel("HTTP SLO error ratios, last hour (availability, latency)",
            [(f"service:itsm_slo_http_availability_errors:ratio_rate1h{{{S}}}", "availability"),
             (f"service:itsm_slo_http_latency_errors:ratio_rate1h{{{S}}}", "latency")], unit="percentunit")
    b.panel("Event streams open, events sent per second",
            [(f"sum(itsm_gateway_event_streams_open{{{S}}})", "open"),
             (f"sum(rate(itsm_gateway_events_sent_total{{{S}}}[5m]))", "sent/s")])
    b.panel("Callers refused by the rate limiter per second",
            [(f"sum(rate(itsm_gateway_rate_limited_total{{{S}}}[5m]))", "refused/s")], unit="reqps")


def overview():
    b = Board("itsm-overview", "itsm overview",
              "Every process of the suite at a glance: traffic, errors, latency, SLOs, backlog, "
              "events. Generated by deploy/grafana/generate_dashboards.py.",
              (".*", "label_values(itsm_build_info, service)"))
    b.row("Suite")
    b.panel("Processes serving /metrics", [(f"count by (service) (itsm_build_info{{{S}}})", "{{service}}")],
            kind="stat", width=24)
    red_rows(b)
    b.row("SLOs (deploy/prometheus/slo.yml)")
    b.panel("Availability error ratio, last hour (objective 99.9%)",
            [(f"service:itsm_slo_grpc_availability_errors:ratio_rate1h{{{S}}}", "gRPC {{service}}"),
             (f"service:itsm_slo_http_availability_errors:ratio_rate1h{{{S}}}", "HTTP {{service}}")],
            unit="percentunit", width=8)
    b.panel("Latency error ratio (over 250 ms), last hour (objective 99%)",
            [(f"service:itsm_slo_grpc_latency_errors:ratio_rate1h{{{S}}}", "gRPC {{service}}"),
             (f"service:itsm_slo_http_latency_errors:ratio_rate1h{{{S}}}", "HTTP {{service}}")],
            unit="percentunit", width=8)
    b.panel("SLA events fired over 1 s late, last hour (objective 99% on time)",
            [(f"service:itsm_slo_sla_event_freshness_errors:ratio_rate1h{{{S}}}", "{{service}}")],
            unit="percentunit", width=8)
    b.row("Work")
    b.panel("Open incidents by priority",
            [(f'sum by (priority) (max by (priority, state) (itsm_incidents{{state=~"NEW|ASSIGNED|IN_PROGRESS|ON_HOLD"}}))', "{{priority}}")],
            width=8)
    b.panel("Oldest open incident", [("max(itsm_incidents_open_oldest_age_seconds)", "age")], unit="s", width=8)
    b.panel("Open changes by state",
            [('max by (state) (itsm_change_changes{state!~"CLOSED|CANCELLED"})', "{{state}}")], width=8)
    b.row("Events")
    outbox_panels(b)
    b.panel("Consumer lag (messages)",
            [(f"sum by (service, group) (itsm_consumer_lag_messages{{{S}}})", "{{service}} {{group}}")], width=8)
    return b


def sla_operations():
    b = Board("itsm-sla-operations", "itsm SLA operations",
              "SLA clocks across the suite: open and breached, met and breached outcomes, warnings, "
              "firing delay and the freshness SLO. Generated by deploy/grafana/generate_dashboards.py.",
              (".*", "label_values(itsm_build_info, service)"))
    b.row("Clocks (the SLA service's history, counted in its database)")
    b.panel("Open clocks by agreement and priority",
            [("sum by (agreement, priority) (max by (kind, agreement, priority, stage, breached) (itsm_sla_open_clocks))",
              "{{agreement}} {{priority}}")])
    b.panel("Open clocks already breached, by kind and priority",
            [('sum by (kind, priority) (max by (kind, agreement, priority, stage, breached) (itsm_sla_open_clocks{breached="true"}))',
              "{{kind}} {{priority}}")])
    b.panel("Clocks ended in the last day: met and breached by priority",
            [("sum by (outcome, priority) (max by (kind, agreement, priority, outcome) (delta(itsm_sla_ended_clocks[1d])))",
              "{{outcome}} {{priority}}")])
    b.panel("Share met, of clocks ended (all time)",
            [('sum by (kind) (max by (kind, agreement, priority, outcome) (itsm_sla_ended_clocks{outcome="met"})) / sum by (kind) (max by (kind, agreement, priority, outcome) (itsm_sla_ended_clocks))',
              "{{kind}}")], unit="percentunit")
    b.row("Timers (sla-timer for incidents, change-sla-timer for changes)")
    b.panel("Warnings and breaches fired per second",
            [(f"sum by (service, kind, event) (rate(itsm_sla_timer_fired_total{{{S}}}[5m]))", "{{service}} {{kind}} {{event}}")],
            unit="ops")
    b.panel("Met, breached and warned: clock events written per second",
            [(f'sum by (service, type) (rate(itsm_sla_timer_clock_events_total{{{S},type=~"itsm[.]sla[.]v1[.](SlaMet|SlaBreached|SlaWarningReached)"}}[5m]))',
              "{{service}} {{type}}")], unit="ops")
    b.panel("Firing delay p50 and p99, publishing delay p99",
            [(f"histogram_quantile(0.99, sum by (service, le) (rate(itsm_sla_clock_fire_delay_seconds_bucket{{{S}}}[5m])))", "fired p99 {{service}}"),
             (f"histogram_quantile(0.5, sum by (service, le) (rate(itsm_sla_clock_fire_delay_seconds_bucket{{{S}}}[5m])))", "fired p50 {{service}}"),
             (f"histogram_quantile(0.99, sum by (service, le) (rate(itsm_sla_event_publish_delay_seconds_bucket{{{S}}}[5m])))", "published p99 {{service}}")],
            unit="s")
    b.panel("Freshness SLO: share published over 1 s late (1 h and 6 h)",
            [(f"service:itsm_slo_sla_event_freshness_errors:ratio_rate1h{{{S}}}", "1h {{service}}"),
             (f"service:itsm_slo_sla_event_freshness_errors:ratio_rate6h{{{S}}}", "6h {{service}}")],
            unit="percentunit")
    b.panel("Records without an SLA clock, by reason (per hour)",
            [(f"sum by (service, reason) (increase(itsm_sla_timer_records_without_sla_total{{{S}}}[1h]))", "{{service}} {{reason}}")])
    b.panel("Record events behind (seconds)",
            [(f"max by (service) (itsm_sla_timer_consumer_lag_seconds{{{S}}})", "{{service}}")], unit="s")
    return b


def events_board():
    b = Board("itsm-events", "itsm Kafka, outbox and consumers",
              "The event pipeline: outboxes (SQL and the timers' Redis), publishing to Kafka, consumers "
              "and their lag. Generated by deploy/grafana/generate_dashboards.py.",
              (".*", "label_values(itsm_build_info, service)"))
    b.row("Outboxes")
    outbox_panels(b)
    b.panel("Events published per second by service",
            [(f"sum by (service) (rate(itsm_outbox_published_events_total{{{S}}}[5m]))", "{{service}}"),
             (f"sum by (service) (rate(itsm_sla_timer_published_events_total{{{S}}}[5m]))", "{{service}} (Redis outbox)")],
            unit="ops", width=8)
    b.panel("Publish failures and dead letters per second",
            [(f"sum by (service) (rate(itsm_outbox_publish_failures_total{{{S}}}[5m]))", "failures {{service}}"),
             (f"sum by (service) (rate(itsm_outbox_dead_letter_total{{{S}}}[5m]))", "dead letters {{service}}"),
             (f"sum by (service) (rate(itsm_sla_timer_publish_failures_total{{{S}}}[5m]))", "failures {{service}} (Redis outbox)")],
            unit="ops")
    b.panel("Write to Kafka acknowledgement p99",
            [(f"histogram_quantile(0.99, sum by (service, le) (rate(itsm_outbox_publish_delay_seconds_bucket{{{S}}}[5m])))", "{{service}}")],
            unit="s")
    b.panel("Relay leader (1: this replica publishes)",
            [(f"max by (service) (itsm_outbox_relay_leader{{{S}}})", "{{service}}")])
    b.panel("Domain events published per second by type",
            [(f"sum by (type) (rate(itsm_domain_events_total{{{S}}}[5m]))", "{{type}}")], unit="ops")
    b.row("Consumers")
    b.panel("Consumed events per second by group and result",
            [(f"sum by (service, group, result) (rate(itsm_consumer_events_total{{{S}}}[5m]))", "{{service}} {{group}} {{result}}")],
            unit="ops")
    b.panel("Consumer lag (messages) by group and topic",
            [(f"sum by (service, group, topic) (itsm_consumer_lag_messages{{{S}}})", "{{service}} {{group}} {{topic}}")])
    return b


def boards():
    return [
        overview(),
        sla_operations(),
        events_board(),
        service_board("incident", "incident service", incident_domain),
        service_board("change", "change service", change_domain),
        service_board("configuration", "configuration service (CMDB)", configuration_domain),
        service_board("sla", "SLA service", sla_domain),
        service_board("sla-timer", "SLA timers", timer_domain, db=False,
                      services=["sla-timer", "change-sla-timer"]),
        service_board("supplier", "supplier service", supplier_domain),
        service_board("webhooks", "webhooks service", webhooks_domain),
        service_board("gateway", "gateway", gateway_domain, db=False),
    ]


def render():
    return {f"{b.uid}.json": json.dumps(b.json(), indent=2) + "\n" for b in boards()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    files = render()
    if args.check:
        bad = []
        for name, text in files.items():
            path = os.path.join(HERE, name)
            if not os.path.exists(path) or open(path).read() != text:
                bad.append(name)
        extra = sorted(set(f for f in os.listdir(HERE) if f.endswith(".json")) - set(files))
        for name in bad:
            print(f"deploy/grafana/{name} is not the generator's output", file=sys.stderr)
        for name in extra:
            print(f"deploy/grafana/{name} is not generated (add it to the generator)", file=sys.stderr)
        if bad or extra:
            print(f"run {sys.argv[0]}", file=sys.stderr)
            return 1
        return 0
    for name, text in files.items():
        with open(os.path.join(HERE, name), "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
