#!/usr/bin/env python3
"""Kill -9 under load, judged by the clock: a soak run against a suite started by itsm-launch.

Through the gateway's REST API, four creators raise P1 incidents and service requests for a
service of this run's own and emergency (P1) changes of a business service CI of its own (with an
Idempotency-Key each, retried through every outage), and four actors take them through their workflows on a plan drawn
per record: met, resolved late, responded late, never touched (soak_records.py). A record's
actions run one at a time and in their order: one that falls due while the one before it is
still retrying through an outage waits for it (a change is not implemented before its approval). Meanwhile one
of the SLA timers (incidents' or changes'), the incident, change, configuration or SLA service,
Redis or the gateway is killed with SIGKILL every 6-12 s, or Redis is frozen (SIGSTOP) for 6 s
or emptied (FLUSHALL, under the running timers), or the embedded Kafka broker refuses every
connection for 8 s (its SIGUSR1/SIGUSR2), or the webhooks service is killed; the launcher restarts what was killed. A receiver on loopback
subscribes to the run's breaches by webhook (the webhooks service must be allowed to send to
loopback, as deploy/local/suite.json allows it; otherwise that check is skipped).

When the last deadline has passed, every clock's `breached` (GET .../slaStatus) is compared with
what the server's own history says should have happened (soak_records.py: for an incident the
response clock stops at the first assignment or state change, the resolution clock at the
resolution, a service request's at its fulfilment; for a change the time to authorise runs from AUTHORISE to the approval's decision,
the time to implement from creation to REVIEW). An answer within 0.5 s of a due time is counted
as ambiguous, not judged. Then the SLA topic is read back from the gateway's
event stream, followed from before the first create and resumed with Last-Event-ID after every
kill of the gateway: no clock may have one firing under two ce_ids (duplicated), a breach at the
end without an SlaBreached (lost), or an SlaBreached not withdrawn while it is not breached (false).

  tests/soak/sla_chaos.py --endpoints <run_dir>/endpoints.json --api-key-file <file>
Every call also carries X-Itsm-Actor and X-Itsm-Verified-Subject naming someone else: every audit
entry of the run's records must name the API key's own subject (GET /v1/session).

Exit status 0 when no acknowledged record is missing, no verdict is wrong, no client call gave
up, no audit entry names another actor, no firing is duplicated, lost or false, and every breach
reached the receiver, signed.
Real time: the SLA is 30 s to respond and 50 s to resolve, so a run lasts --seconds + ~2.5 min.
"""
import argparse
import base64
import hashlib
import heapq
import hmac
import http.server
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

from soak_records import PLANS, Changes, Incidents, Requests, rfc3339
from suite_endpoints import gateway_address, redis_address, redis_password


def log(*parts):
    with LOG_LOCK:
        print(time.strftime('%H:%M:%S'), *parts, flush=True)


LOG_LOCK = threading.Lock()


class Gateway:
    """One kept-alive HTTP connection; retries 429/502/503/504 and dropped connections."""

    def __init__(self, address, key):
        self.host, self.port = address
        self.key = key
        self.conn = None

    def call(self, method, path, body=None, headers=None, deadline_s=120):
        end = time.time() + deadline_s
        # Names a caller may try to pass for someone else: the audit must name the key's subject.
        h = {'Authorization': 'Bearer ' + self.key, 'Content-Type': 'application/json',
             'X-Itsm-Actor': 'cfo@corp', 'X-Itsm-Verified-Subject': 'cfo@corp'}
        h.update(headers or {})
        last = None
        while time.time() < end:
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
                self.conn.request(method, path, body=None if body is None else json.dumps(body),
                                  headers=h)
                r = self.conn.getresponse()
                data = r.read()
                if r.status in (429, 502, 503, 504):
                    last = (r.status, data[:200])
                    time.sleep(0.3)
                    continue
                return r.status, json.loads(data) if data else {}
            except (OSError, http.client.HTTPException, ValueError) as e:
                last = repr(e)
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                time.sleep(0.3)
        raise RuntimeError(f'{method} {path} gave up: {last}')

class SlaEventWatcher(threading.Thread):
    """Follows itsm.sla.v1.* through the gateway's event stream from before the first create,
    resuming with Last-Event-ID whenever the gateway is killed, and keeps this run's firings:
    (record, clock kind) -> [(type, ce_id, due time, received at)]."""

    def __init__(self, address, key, services):
        super().__init__(daemon=True)
        self.host, self.port = address
        self.key, self.services = key, services
        self.firings = {}
        self.breach_ids = set()
        self.reconnects = 0
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.last_id = None

    def run(self):
        while not self.stopping.is_set():
            try:
                self.follow()
            except (OSError, http.client.HTTPException, ValueError):
                pass
            if not self.stopping.is_set():
                self.reconnects += 1
                time.sleep(0.5)

    def follow(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        headers = {'Authorization': 'Bearer ' + self.key, 'Accept': 'text/event-stream'}
        if self.last_id:
            headers['Last-Event-ID'] = self.last_id
        conn.request('GET', '/v1/events?types=itsm.sla.v1.*', headers=headers)
        r = conn.getresponse()
        if r.status != 200:
            r.read()
            raise OSError(f'event stream answered {r.status}')
        for raw in r:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            if line.startswith('id:'):
                self.last_id = line[3:].strip()
                self.ready.set()
            elif line.startswith('data:'):
                self.take(json.loads(line[5:]), time.time())
            if self.stopping.is_set():
                return

    def take(self, event, received):
        kind = event.get('type', '').rsplit('.', 1)[-1]
        clock = event.get('data', {}).get('clock', {})
        if clock.get('service') not in self.services:
            return
        key = (clock.get('incidentId'), clock.get('clockKind'))
        due = rfc3339(clock['dueTime']) if clock.get('dueTime') else None
        if kind == 'SlaWarningReached':  # one firing per threshold
            kind += ' ' + str(event['data'].get('thresholdPercent'))
        self.firings.setdefault(key, []).append((kind, event.get('id'), due, received))
        if kind == 'SlaBreached':
            self.breach_ids.add(event.get('id'))

    def judge(self, breached_clocks):
        """breached_clocks: {(record, clock kind): breached at the end}. Counts duplicated
        firings (one kind fired under two ce_ids without a withdrawal between), lost breaches
        (breached, no SlaBreached received) and false ones (the last of the clock's breach events
        an SlaBreached, yet the clock is not breached)."""
        duplicated = lost = false = republished = 0
        latest, latest_clock = 0.0, None
        received_ids = set()
        for key, breached in breached_clocks.items():
            events = self.firings.get(key, [])
            seen = {}
            for kind, ce_id, due, received in events:
                if kind == 'SlaBreachWithdrawn':  # the breach, and warnings no longer reached,
                    seen.clear()                    # may fire again under new ce_ids
                    continue
                if kind != 'SlaBreached' and not kind.startswith('SlaWarningReached'):
                    continue
                if kind in seen and seen[kind] != ce_id:
                    duplicated += 1
                    log('DUPLICATED', key, kind, seen[kind], ce_id)
                seen[kind] = ce_id
                if ce_id in received_ids:  # published again (a timer's replay): consumers drop it
                    republished += 1
                    continue
                received_ids.add(ce_id)
                if kind == 'SlaBreached' and due is not None:
                    if received - due > latest:
                        latest, latest_clock = received - due, (key, ce_id)
            breach_events = [e for e in events if e[0] in ('SlaBreached', 'SlaBreachWithdrawn')]
            fired = bool(breach_events) and breach_events[-1][0] == 'SlaBreached'
            if breached and not fired:
                lost += 1
                log('LOST BREACH', key)
            if fired and not breached:
                false += 1
                log('FALSE BREACH', key)
        log('breach events: duplicated', duplicated, 'lost', lost, 'false', false,
            'latest received after its due time', round(latest, 1), 's', latest_clock, ';',
            'received again (same ce_id)', republished, '; stream reconnects', self.reconnects)
        return duplicated + lost + false


class WebhookReceiver(http.server.ThreadingHTTPServer):
    """A receiver on loopback for the run's breach webhooks: checks each delivery's Standard
    Webhooks signature and keeps the ce_ids it acknowledged; answers one delivery in ten 503, so
    that retries are part of the run."""

    daemon_threads = True

    def __init__(self):
        super().__init__(('127.0.0.1', 0), WebhookHandler)
        self.keys = []
        self.lock = threading.Lock()
        self.acknowledged = set()
        self.bad_signatures = 0
        self.refused = 0

    def url(self):
        return f'http://127.0.0.1:{self.server_address[1]}/hook'

    def take(self, headers, body):
        signed = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + body
        expected = {base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
                    for key in self.keys}
        given = {s.split(',', 1)[-1] for s in headers.get('webhook-signature', '').split()}
        with self.lock:
            if not expected & given:
                self.bad_signatures += 1
                return 401
            if random.random() < 0.1:
                self.refused += 1
                return 503
            self.acknowledged.add(json.loads(body)['id'])
            return 200


class WebhookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.send_response(self.server.take(self.headers, body))
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass


class Run:
    def __init__(self, args, key):
        self.args = args
        self.key = key
        self.gateway = gateway_address(args.endpoints)
        self.redis_address = redis_address(args.endpoints)
        self.redis_password = redis_password(args.endpoints)
        with open(args.endpoints) as f:
            self.launcher_pid = json.load(f)['launcherPid']
        name = 'soak-' + uuid.uuid4().hex[:8]
        # Drawn for each record by the shares of --request-share and --change-share.
        self.kinds = [(Incidents(name), 1.0 - args.request_share - args.change_share),
                      (Requests(name), args.request_share), (Changes(name), args.change_share)]
        self.kinds = [(kind, share) for kind, share in self.kinds if share > 0]
        self.records = {}  # id -> (kind, plan)
        self.lock = threading.Lock()
        self.actions = []  # heap of (when, seq, id, action, its place among the record's actions)
        self.seq = 0
        # A record's actions run one at a time and in their order: an action whose turn has not
        # come (the one before it still retrying through an outage) waits, as a person would
        # wait for the approval before implementing.
        self.turn = {}  # id -> place of the action that may run next
        self.planned = {}  # id -> actions scheduled so far
        self.failures = []
        self.subscriptions = []

    def client(self):
        return Gateway(self.gateway, self.key)

    def set_up_sla(self):
        c = self.client()
        st, session = c.call('GET', '/v1/session')
        self.subject = session['subject']
        for kind, _ in self.kinds:
            definition = kind.set_up(c)
            log(kind.kind, 'service', kind.service, 'SLA', definition)

    def services(self):
        return {kind.service for kind, _ in self.kinds}

    def subscribe(self, receiver):
        """Subscribes the receiver to this run's breaches, one subscription per service; False
        when the suite may not send to loopback (started without ITSM_OUTBOUND_ALLOW=127.0.0.1)."""
        for service in sorted(self.services()):
            st, body = self.client().call('POST', '/v1/webhookSubscriptions', {'subscription': {
                'name': service + ' breaches', 'url': receiver.url(),
                'eventTypes': ['itsm.sla.v1.SlaBreached'], 'recordFilter': service}})
            if st != 200:
                log('webhooks not checked:', body.get('message'))
                return False
            receiver.keys.append(base64.b64decode(body['secret'][len('whsec_'):]))
            self.subscriptions.append(body['subscription'])
        return True

    def unsubscribe(self):
        """Deactivated at the end: nobody listens on the receiver's port any more."""
        for sub in self.subscriptions:
            st, body = self.client().call(
                'PATCH', f"/v1/webhookSubscriptions/{sub['id']}?update_mask=active",
                {'active': False, 'version': sub['version']})
            if st != 200:
                log('could not deactivate the webhook subscription', sub['id'], body.get('message'))

    def schedule(self, when, rid, action):
        with self.lock:
            self.seq += 1
            place = self.planned.get(rid, 0)
            self.planned[rid] = place + 1
            self.turn.setdefault(rid, 0)
            heapq.heappush(self.actions, (when, self.seq, rid, action, place))

    def creator(self, stop_at, idx):
        c = self.client()
        interval = 4.0 / self.args.rate
        n = 0
        while time.time() < stop_at:
            t = time.time()
            plan = random.choice(PLANS)
            kind = random.choices([k for k, _ in self.kinds], [w for _, w in self.kinds])[0]
            try:
                st, body, rid = kind.create(c, f'{idx}-{n}', str(uuid.uuid4()))
                if st != 200:
                    self.failures.append(('create', kind.kind, st, body))
                    log('create failed', kind.kind, st, body)
                else:
                    created = time.time()
                    with self.lock:
                        self.records[rid] = (kind, plan)
                    for after, action in kind.plan_actions(plan):
                        self.schedule(created + after, rid, action)
            except RuntimeError as e:
                self.failures.append(('create', kind.kind, repr(e)))
                log('create error', e)
            n += 1
            time.sleep(max(0, interval - (time.time() - t)))

    def next_action(self):
        """The first due action whose turn has come; the others due wait 0.2 s more."""
        with self.lock:
            now = time.time()
            waiting = []
            found = None
            while self.actions and self.actions[0][0] <= now:
                item = heapq.heappop(self.actions)
                if self.turn[item[2]] == item[4]:
                    found = item
                    break
                waiting.append(item)
            for when, seq, rid, action, place in waiting:
                heapq.heappush(self.actions, (now + 0.2, seq, rid, action, place))
            return found

    def action_done(self, rid):
        with self.lock:
            self.turn[rid] += 1

    def actor(self, creators_done):
        c = self.client()
        while True:
            item = self.next_action()
            if item is None:
                with self.lock:
                    empty = not self.actions
                if creators_done.is_set() and empty:
                    return
                time.sleep(0.05)
                continue
            _, _, rid, action, _ = item
            kind = self.records[rid][0]
            try:
                kind.act(c, rid, action, self.failures)
            except RuntimeError as e:
                self.failures.append((action, rid, repr(e)))
                log(action, 'error', e)
            finally:
                self.action_done(rid)

    def pids(self, pattern):
        """This run's processes matching `pattern`: the launcher's children only, never those
        of another suite on the machine (a second run, an outside tester's)."""
        out = subprocess.run(['pgrep', '-P', str(self.launcher_pid), '-f', pattern],
                             capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def timer_pids(self, victim):
        """The incidents' or the changes' SLA timer: the same program, told apart by the record
        topic in its environment (deploy/local/suite.json)."""
        changes = victim == 'change SLA timer'
        found = []
        for pid in self.pids('itsm-sla-timer'):
            try:
                with open(f'/proc/{pid}/environ', 'rb') as f:
                    environ = f.read().split(b'\0')
            except OSError:
                continue
            if (b'ITSM_RECORD_TOPIC=itsm.change.v1' in environ) == changes:
                found.append(pid)
        return found

    def redis_command(self, *words):
        """One command to the suite's Redis (AUTH first with the launcher's password); its reply
        line, or the error met."""
        host, port = self.redis_address.rsplit(':', 1)

        def encode(*parts):
            return f'*{len(parts)}\r\n' + ''.join(f'${len(p)}\r\n{p}\r\n' for p in parts)
        try:
            with socket.create_connection((host, int(port)), timeout=5) as s:
                if self.redis_password:
                    s.sendall(encode('AUTH', self.redis_password).encode())
                    s.recv(4096)
                s.sendall(encode(*words).encode())
                return s.recv(4096).decode(errors='replace').strip()
        except OSError as e:
            return str(e)

    def victims(self):
        """The faults to draw from: every one, or those of --faults (ValueError for a name that
        is none of them)."""
        redis = 'redis-server ' + self.redis_address
        victims = ['incident SLA timer', 'itsm-incident', 'itsm-sla$', 'itsm-gateway',
                   'itsm-webhooks', redis, 'freeze redis', 'flush redis', 'broker outage']
        if self.args.change_share > 0:
            victims += ['change SLA timer', 'itsm-change', 'itsm-configuration']
        if not self.args.faults:
            return victims
        wanted = [redis if f.strip() == 'redis-server' else f.strip()
                  for f in self.args.faults.split(',')]
        unknown = [f for f in wanted if f not in victims]
        if unknown:
            raise ValueError(f'unknown faults {unknown}; known: {victims}')
        return wanted

    def chaos(self, stop_at):
        redis = 'redis-server ' + self.redis_address
        victims = self.victims()
        time.sleep(15)
        while time.time() < stop_at:
            victim = random.choice(victims)
            if victim == 'broker outage':  # the embedded broker refuses connections (tools/kafka)
                for pid in self.pids('itsm-kafka')[:1]:
                    log('broker down for 8 s')
                    os.kill(pid, signal.SIGUSR1)
                    time.sleep(8)
                    os.kill(pid, signal.SIGUSR2)
            elif victim == 'flush redis':  # the same process, emptied: the timers must notice
                log('FLUSHALL redis:', self.redis_command('FLUSHALL'))
            elif victim == 'freeze redis':
                for pid in self.pids(redis)[:1]:
                    log('SIGSTOP redis for 6 s')
                    os.kill(pid, signal.SIGSTOP)
                    time.sleep(6)
                    os.kill(pid, signal.SIGCONT)
            else:
                found = self.timer_pids(victim) if victim.endswith('SLA timer') else self.pids(victim)
                if found:
                    pid = random.choice(found)
                    log('kill -9', victim.strip(), pid)
                    os.kill(pid, signal.SIGKILL)
            time.sleep(random.uniform(6, 12))

    def judge_clocks(self):
        c = self.client()
        verdicts = {'right': 0, 'ambiguous': 0, 'wrong': 0, 'lost records': 0,
                    'entries naming another actor': 0}
        by_kind = {}
        breached_clocks = {}
        for rid, (kind, plan) in sorted(self.records.items()):
            by_kind[kind.kind] = by_kind.get(kind.kind, 0) + 1
            st, hist = c.call('GET', kind.history_path(rid))
            if st != 200:  # an acknowledged create the service lost
                verdicts['lost records'] += 1
                log('LOST RECORD', kind.kind, rid, st, hist)
                continue
            entries = hist['entries']
            actors = {self.subject} | getattr(kind, 'other_actors', set())
            verdicts['entries naming another actor'] += sum(e['actor'] not in actors for e in entries)
            # GetIncidentSlaStatus answers any record's clocks: incidents', requests' and changes'.
            st, status = c.call('GET', f'/v1/incidents/{rid}/slaStatus')
            clocks = {cl['clockKind']: cl for cl in status.get('clocks', [])}
            for clock_kind, clock in clocks.items():
                breached_clocks[(rid, clock_kind)] = bool(clock.get('breached'))
            for clock_kind, (start, stopped, target) in kind.clock_windows(entries).items():
                due = start + target
                stop = float('inf') if stopped is None else stopped
                if abs(stop - due) < 0.5:
                    verdicts['ambiguous'] += 1
                    continue
                clock = clocks.get(clock_kind)
                got = clock['breached'] if clock else None
                if got != (stop > due):
                    verdicts['wrong'] += 1
                    log('WRONG', kind.kind, rid, plan, clock_kind, 'breached', got, 'stopped-due',
                        None if stopped is None else round(stopped - due, 3))
                else:
                    verdicts['right'] += 1
        log('records', by_kind, 'clock verdicts', verdicts)
        return verdicts, breached_clocks


def judge_webhooks(receiver, breach_ids, patience_s=90):
    """Every SlaBreached of the run acknowledged by the receiver (at least once), every delivery
    signed; the last retries of refused deliveries may take a while (backoff with jitter)."""
    end = time.time() + patience_s
    while time.time() < end:
        with receiver.lock:
            missing = breach_ids - receiver.acknowledged
        if not missing:
            break
        time.sleep(2)
    with receiver.lock:
        missing = breach_ids - receiver.acknowledged
        log('webhooks: breaches', len(breach_ids), 'acknowledged', len(receiver.acknowledged & breach_ids),
            'not delivered', len(missing), 'refused by the receiver', receiver.refused,
            'bad signatures', receiver.bad_signatures)
        for ce_id in sorted(missing)[:10]:
            log('NOT DELIVERED', ce_id)
        return len(missing) + receiver.bad_signatures


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--endpoints', required=True, help="itsm-launch's <run_dir>/endpoints.json")
    p.add_argument('--api-key-file', required=True, help='a file holding an admin API key')
    p.add_argument('--seconds', type=float, default=90, help='how long records are created')
    p.add_argument('--rate', type=float, default=15, help='records created a second')
    p.add_argument('--change-share', type=float, default=0.3,
                   help='the share of records that are changes (0: none)')
    p.add_argument('--request-share', type=float, default=0.2,
                   help='the share of records that are service requests (0: none)')
    p.add_argument('--no-chaos', action='store_true', help='the same load without kills')
    p.add_argument('--faults', default='',
                   help="only these faults, comma-separated (e.g. 'flush redis,incident SLA "
                        "timer'; the names the run logs); default: all of them")
    p.add_argument('--seed', type=int, default=None)
    args = p.parse_args()
    random.seed(args.seed)
    run = Run(args, open(args.api_key_file).read().strip())
    if not args.no_chaos:
        try:
            run.victims()
        except ValueError as e:
            sys.exit(str(e))
    run.set_up_sla()
    receiver = WebhookReceiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    webhooks = run.subscribe(receiver)
    watcher = SlaEventWatcher(run.gateway, run.key, run.services())
    watcher.start()
    if not watcher.ready.wait(30):
        sys.exit('the gateway event stream did not open')
    stop_creating = time.time() + args.seconds
    creators_done = threading.Event()
    creators = [threading.Thread(target=run.creator, args=(stop_creating, i)) for i in range(4)]
    actors = [threading.Thread(target=run.actor, args=(creators_done,)) for _ in range(4)]
    chaos = None if args.no_chaos else threading.Thread(target=run.chaos, args=(stop_creating + 60,))
    for t in creators + actors + ([chaos] if chaos else []):
        t.start()
    for t in creators:
        t.join()
    log('created', len(run.records))
    creators_done.set()
    for t in actors + ([chaos] if chaos else []):
        t.join()
    log('actions done; waiting for the last deadlines')
    time.sleep(max(0, stop_creating + 70 - time.time()) + 20)
    verdicts, breached_clocks = run.judge_clocks()
    time.sleep(3)  # the last firings on their way through the stream
    watcher.stopping.set()
    event_faults = watcher.judge(breached_clocks)
    webhook_faults = 0
    if webhooks:
        webhook_faults = judge_webhooks(receiver, watcher.breach_ids)
        run.unsubscribe()
    log('client calls that gave up', len(run.failures))
    for f in run.failures[:20]:
        log('FAILED', f)
    ok = (not verdicts['wrong'] and not verdicts['lost records'] and
          not verdicts['entries naming another actor'] and not run.failures and
          not event_faults and not webhook_faults)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
