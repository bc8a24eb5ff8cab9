"""The kinds of record sla_chaos.py drives under faults, each with its SLA clocks' meaning.

A kind knows how to set up an SLA of its own for the run, how to create a record, which actions
each plan schedules and how to take them, and, from the record's own history, when each of its
clocks started and stopped. The clocks are the suite's defaults (docs/sla.md): for an incident
the response clock runs from creation to the first assignment or state change and the
resolution clock to the resolution (a service request's likewise, to its fulfilment); for a change the response clock is the time to authorise
(from entering AUTHORISE until the approval is decided) and the resolution clock the time to
implement (from creation until REVIEW).
"""
import sys
import threading
from datetime import datetime, timezone

RESPONSE_S, RESOLVE_S = 30.0, 50.0
PLANS = ['met', 'late', 'respond_late', 'never']


def rfc3339(s):
    s = s.rstrip('Z')
    if '.' in s:
        whole, fraction = s.split('.')
        s = whole + '.' + (fraction + '000000')[:6]
    return datetime.fromisoformat(s).replace(tzinfo=timezone.utc).timestamp()


def create_sla(client, name, service, record_kind=None):
    """A 24x7 calendar and a P1 definition (30 s to respond, 50 s to resolve) for one service."""
    st, body = client.call('POST', '/v1/calendars', {'calendar': {
        'name': name + ' 24x7', 'timeZone': 'UTC', 'alwaysOpen': True}})
    if st != 200:
        sys.exit(f'creating the calendar: {st} {body}')
    definition = {'name': name + ' P1', 'kind': 'AGREEMENT_KIND_SLA',
                  'coverage': {'services': [service]}, 'calendarId': body['calendar']['id'],
                  'targets': [{'priority': 'PRIORITY_P1', 'responseTarget': f'{RESPONSE_S:.0f}s',
                               'resolutionTarget': f'{RESOLVE_S:.0f}s'}]}
    if record_kind:
        definition['recordKind'] = record_kind
    st, body = client.call('POST', '/v1/slaDefinitions', {'definition': definition})
    if st != 200:
        sys.exit(f'creating the SLA definition: {st} {body}')
    return body['definition']['id']


def first_time(entries, matches):
    """The time of the first history entry with a field change for which matches(change) holds."""
    for e in entries:
        if any(matches(ch) for ch in e['changes']):
            return rfc3339(e['time'])
    return None


def state_becomes(states):
    return lambda ch: ch['field'] == 'state' and ch['newValue'] in states


def read_current(client, path, key, failures):
    st, body = client.call('GET', path)
    if st != 200:
        failures.append(('read', path, st, body))
        return None
    return body[key]


class Incidents:
    """P1 incidents of the run's own service, assigned and resolved through the REST API."""
    kind = 'incident'

    def __init__(self, run_name):
        self.service = run_name

    def set_up(self, client):
        return create_sla(client, self.service, self.service)

    def create(self, client, label, key):
        st, body = client.call('POST', '/v1/incidents',
                               {'title': 'soak ' + label, 'impact': 1, 'urgency': 1,
                                'service': self.service}, {'Idempotency-Key': key})
        return st, body, body.get('incident', {}).get('id')

    @staticmethod
    def plan_actions(plan):
        """(seconds after creation, action) of each plan."""
        return {'met': [(10, 'assign'), (25, 'resolve')],
                'late': [(65, 'resolve')],
                'respond_late': [(36, 'assign'), (44, 'resolve')],
                'never': []}[plan]

    def act(self, client, rid, action, failures):
        """Assigns or resolves with the version just read; a conflict (the retried call of a
        killed process may have landed) reads again."""
        for _ in range(5):
            inc = read_current(client, f'/v1/incidents/{rid}', 'incident', failures)
            if inc is None:
                return
            if action == 'assign':
                if inc.get('assignee'):
                    return
                st, body = client.call('POST', f'/v1/incidents/{rid}:assign',
                                       {'assignmentGroup': 'soak', 'assignee': 'alice',
                                        'version': inc['version']})
            else:
                if inc['state'] == 'INCIDENT_STATE_RESOLVED':
                    return
                st, body = client.call('POST', f'/v1/incidents/{rid}:transition',
                                       {'targetState': 'INCIDENT_STATE_RESOLVED',
                                        'resolutionCode': 'fixed', 'resolutionNotes': 'done',
                                        'version': inc['version']})
            if st == 200:
                return
        failures.append((action, rid, st, body))

    def history_path(self, rid):
        return f'/v1/incidents/{rid}/history?page.page_size=100'

    @staticmethod
    def clock_windows(entries):
        """{clock kind: (start, stop or None, target)} from the incident's history."""
        created = rfc3339(entries[0]['time'])
        responded = first_time(entries, lambda ch: (
            (ch['field'] == 'assignee' and ch['newValue']) or
            (ch['field'] == 'state' and ch['newValue'] != 'INCIDENT_STATE_NEW')))
        resolved = first_time(entries, state_becomes({'INCIDENT_STATE_RESOLVED'}))
        return {'CLOCK_KIND_RESPONSE': (created, responded, RESPONSE_S),
                'CLOCK_KIND_RESOLUTION': (created, resolved, RESOLVE_S)}


class Approver:
    """A key of its own for the decisions a record's author may not take (segregation of
    duties: docs/change.md, docs/incident.md), made by make(); a connection per calling thread
    (one connection serves one thread)."""

    def __init__(self):
        self.secret = None
        self.subjects = set()
        self.local = threading.local()

    def make(self, client, name, roles):
        st, body = client.call('POST', '/v1/apiKeys', {'name': name, 'roles': roles})
        if st != 200:
            sys.exit(f'creating the approver key {name}: {st} {body}')
        self.secret = body['secret']
        st, session = self.client_for(client).call('GET', '/v1/session')
        self.subjects = {session['subject']}

    def client_for(self, client):
        if getattr(self.local, 'gateway', None) is None:
            self.local.gateway = type(client)((client.host, client.port), self.secret)
        return self.local.gateway


class Requests:
    """P1 service requests of the run's own service, under the incidents' SLA (a definition with
    no request types covers both): approved, fulfilled through the REST API."""
    kind = 'request'
    DONE = ('SERVICE_REQUEST_STATE_FULFILLED', 'SERVICE_REQUEST_STATE_CLOSED')

    def __init__(self, run_name):
        self.service = run_name
        self.run_name = run_name
        self.approver = Approver()

    @property
    def other_actors(self):
        return self.approver.subjects

    def set_up(self, client):
        self.approver.make(client, self.run_name + '-request-approver', ['ROLE_AGENT'])
        return "(the incidents': a definition without request types covers both)"

    def create(self, client, label, key):
        st, body = client.call('POST', '/v1/serviceRequests',
                               {'title': 'soak ' + label, 'catalogItem': 'laptop', 'impact': 1,
                                'urgency': 1, 'service': self.service}, {'Idempotency-Key': key})
        return st, body, body.get('serviceRequest', {}).get('id')

    @staticmethod
    def plan_actions(plan):
        return {'met': [(10, 'approve'), (20, 'start'), (25, 'fulfil')],
                'late': [(10, 'approve'), (20, 'start'), (65, 'fulfil')],
                'respond_late': [(36, 'approve'), (40, 'start'), (44, 'fulfil')],
                'never': []}[plan]

    def act(self, client, rid, action, failures):
        """Each step once, with the version just read; skipped when the request is past it."""
        order = ['SERVICE_REQUEST_STATE_SUBMITTED', 'SERVICE_REQUEST_STATE_APPROVED',
                 'SERVICE_REQUEST_STATE_FULFILLING', 'SERVICE_REQUEST_STATE_FULFILLED']
        target = {'approve': 1, 'start': 2, 'fulfil': 3}[action]
        for _ in range(5):
            req = read_current(client, f'/v1/serviceRequests/{rid}', 'serviceRequest', failures)
            if req is None:
                return
            if req['state'] not in order or order.index(req['state']) >= target:
                return
            caller = self.approver.client_for(client) if action == 'approve' else client
            st, body = caller.call('POST', f'/v1/serviceRequests/{rid}:transition',
                                   {'targetState': order[target], 'reason': 'soak',
                                    'version': req['version']})
            if st == 200:
                return
        failures.append((action, rid, st, body))

    def history_path(self, rid):
        return f'/v1/serviceRequests/{rid}/history?page.page_size=100'

    @classmethod
    def clock_windows(cls, entries):
        """As an incident's (docs/sla.md 3.4): response until it leaves SUBMITTED or is assigned,
        resolution until FULFILLED."""
        created = rfc3339(entries[0]['time'])
        responded = first_time(entries, lambda ch: (
            (ch['field'] == 'assignee' and ch['newValue']) or
            (ch['field'] == 'state' and ch['newValue'] != 'SERVICE_REQUEST_STATE_SUBMITTED')))
        fulfilled = first_time(entries, state_becomes(set(cls.DONE)))
        return {'CLOCK_KIND_RESPONSE': (created, responded, RESPONSE_S),
                'CLOCK_KIND_RESOLUTION': (created, fulfilled, RESOLVE_S)}


class Changes:
    """Emergency changes (P1) of a business service CI of the run's own: authorised, approved,
    implemented and reviewed through the REST API."""
    kind = 'change'
    DECIDED = ('APPROVAL_OUTCOME_APPROVED', 'APPROVAL_OUTCOME_REJECTED')
    PAST_AUTHORISE = {'CHANGE_STATE_SCHEDULED', 'CHANGE_STATE_IMPLEMENT', 'CHANGE_STATE_REVIEW',
                      'CHANGE_STATE_CLOSED'}

    def __init__(self, run_name):
        self.run_name = run_name
        self.service = None  # the CI's id, made by set_up
        # No one decides the approval of a change they raised: the ECAB votes with a key of
        # its own, made by set_up.
        self.approver = Approver()

    @property
    def other_actors(self):
        return self.approver.subjects

    def set_up(self, client):
        st, body = client.call('POST', '/v1/configurationItems',
                               {'className': 'business_service', 'name': self.run_name})
        if st != 200:
            sys.exit(f'creating the business service CI: {st} {body}')
        self.service = body['configurationItem']['id']
        self.approver.make(client, self.run_name + '-ecab',
                           ['ROLE_CAB_MEMBER', 'ROLE_CHANGE_MANAGER'])
        return create_sla(client, self.run_name + ' changes', self.service, 'RECORD_KIND_CHANGE')

    def create(self, client, label, key):
        st, body = client.call('POST', '/v1/changes',
                               {'title': 'soak ' + label, 'type': 'CHANGE_TYPE_EMERGENCY',
                                'affectedServiceIds': [self.service], 'reason': 'soak',
                                'implementationPlan': 'apply', 'backoutPlan': 'revert'},
                               {'Idempotency-Key': key})
        return st, body, body.get('change', {}).get('id')

    @staticmethod
    def plan_actions(plan):
        return {'met': [(3, 'authorise'), (12, 'decide'), (15, 'implement'), (25, 'review')],
                'late': [(3, 'authorise'), (12, 'decide'), (15, 'implement'), (65, 'review')],
                'respond_late': [(3, 'authorise'), (38, 'decide'), (40, 'implement'),
                                 (45, 'review')],
                'never': [(3, 'authorise')]}[plan]

    def act(self, client, rid, action, failures):
        """Each action once, with the version just read; skipped when the record shows it taken
        already (a retried call of a killed process may have landed)."""
        for _ in range(5):
            chg = read_current(client, f'/v1/changes/{rid}', 'change', failures)
            if chg is None:
                return
            state, version = chg['state'], chg['version']
            outcome = chg.get('approval', {}).get('outcome')
            if action == 'authorise':
                if state != 'CHANGE_STATE_NEW':
                    return
                call = (':transition', {'targetState': 'CHANGE_STATE_AUTHORISE'})
            elif action == 'decide':
                if outcome in self.DECIDED:
                    return
                call = (':decide', {'decision': 'APPROVAL_DECISION_APPROVE'})
            elif action == 'implement':
                if state in self.PAST_AUTHORISE:
                    return
                call = (':transition', {'targetState': 'CHANGE_STATE_IMPLEMENT'})
            else:
                if state in ('CHANGE_STATE_REVIEW', 'CHANGE_STATE_CLOSED'):
                    return
                call = (':transition', {'targetState': 'CHANGE_STATE_REVIEW',
                                        'outcome': 'CHANGE_OUTCOME_SUCCESSFUL'})
            caller = self.approver.client_for(client) if action == 'decide' else client
            st, body = caller.call('POST', f'/v1/changes/{rid}{call[0]}',
                                   dict(call[1], version=version))
            if st == 200:
                return
        failures.append((action, rid, st, body))

    def history_path(self, rid):
        return f'/v1/changes/{rid}/history?page.page_size=100'

    @classmethod
    def clock_windows(cls, entries):
        """{clock kind: (start, stop or None, target)}; no response clock before AUTHORISE."""
        created = rfc3339(entries[0]['time'])
        reviewed = first_time(entries, state_becomes({'CHANGE_STATE_REVIEW', 'CHANGE_STATE_CLOSED'}))
        windows = {'CLOCK_KIND_RESOLUTION': (created, reviewed, RESOLVE_S)}
        authorised = first_time(entries, state_becomes({'CHANGE_STATE_AUTHORISE'}))
        if authorised is not None:
            decided = first_time(entries, lambda ch: (
                (ch['field'] == 'approval' and any(o in ch['newValue'] for o in cls.DECIDED)) or
                state_becomes(cls.PAST_AUTHORISE)(ch)))
            windows['CLOCK_KIND_RESPONSE'] = (authorised, decided, RESPONSE_S)
        return windows
