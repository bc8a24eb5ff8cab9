#!/usr/bin/env python3
"""Hostile inputs against every operation of a running gateway's /openapi.json.

Bodies, paths and queries are generated from the API's own schemas and then bent: wrong types,
edge numbers (2^63, 1e308, NaN), huge and odd strings (300 KB, NUL, lone surrogates, path
traversal, SQL and template injection), deep nesting, duplicated keys, invalid UTF-8, 70 KB path
segments, thousands of array items and map keys. Reported as findings: any 5xx other than 503,
any answer slower than 5 s, any dropped connection that was not a refusal of an oversized request.
Reported for reading, not failed: 400 answers that name no field (the examples show what), and
field violations whose path starts with no field of the request (a path relative to a record).
The event stream (/v1/events) is left out, and so are writes to API keys (a generated call could
revoke the key this run uses). Check the launcher's log afterwards for restarts.

  tests/soak/api_fuzz.py --endpoints <run_dir>/endpoints.json --api-key-file <file> [--iterations 25]
Exit status 0 when there is no finding.
"""
import argparse
import collections
import http.client
import json
import random
import sys
import time
import urllib.parse

from suite_endpoints import gateway_address

EDGE_STRINGS = ['', ' ', 'a' * 5000, 'x' * 300000, '\u0000', 'ü€𝄞', '../../etc/passwd',
                "'; DROP TABLE incidents;--", '%s%n', '{{7*7}}', '\n\r\t', 'INC0000001', 'mail',
                '2026-12-03T23:42:49Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '-1s',
                '315576000001s', '1.5s', 'NaN', '*', '%', '_', 'a/b', 'server/db-01']
EDGE_NUMBERS = [0, -1, 1, 2**31 - 1, -2**31, 2**31, 2**63 - 1, -2**63, 2**64, 1e300, '12', '1e3',
                0.5, None]
PATH_VALUES = ['INC0000001', '01a23e4a-09fc-7ea8-ae4f-78618ecebc72', 'nope', 'a' * 3000, '..',
               '%00', 'ü', 'server/db-01', '0', '-1', 'x' * 70000]


class Generator:
    def __init__(self, schemas):
        self.schemas = schemas

    def value(self, schema, depth=0):
        if '$ref' in schema:
            schema = self.schemas.get(schema['$ref'].split('/')[-1], {})
        if depth > 6:
            return None
        if random.random() < 0.05:  # the wrong type
            return random.choice([None, [], {}, 'str', 12, True, [1, 2], {'a': 1}])
        if 'enum' in schema:
            return random.choice(schema['enum'] + ['NOPE', 99999, -1])
        kind = schema.get('type')
        if isinstance(kind, list):
            kind = next((k for k in kind if k != 'null'), 'string')
        if kind == 'object' or 'properties' in schema:
            return self.object(schema, depth)
        if kind == 'array':
            n = random.choice([0, 1, 2, 3, 50, 2000] if depth <= 1 else [0, 1, 2, 3])
            return [self.value(schema.get('items', {}), depth + 1) for _ in range(n)]
        if kind == 'integer':
            return random.choice(EDGE_NUMBERS + [random.randint(-10, 1000)])
        if kind == 'number':
            return random.choice([0, -1.5, 1e308, -1e308, 'NaN', 'Infinity', 3.14, 1e-320])
        if kind == 'boolean':
            return random.choice([True, False, 'true', 1])
        return self.string(schema)

    def object(self, schema, depth):
        out = {k: self.value(v, depth + 1) for k, v in schema.get('properties', {}).items()
               if random.random() < 0.6}
        if random.random() < 0.05:
            out['unknownField'] = 1
        extra = schema.get('additionalProperties')
        if isinstance(extra, dict) and random.random() < 0.3:
            for i in range(random.choice([1, 3, 200])):
                out[f'k{i}' + random.choice(['', 'ü', ' '])] = self.value(extra, depth + 1)
        return out

    def string(self, schema):
        fmt = schema.get('format')
        if fmt == 'date-time' and random.random() < 0.5:
            return random.choice(EDGE_STRINGS[13:16] +
                                 ['2026-13-45T99:99:99Z', '2026-12-03T23:42:49.123456789+14:00'])
        if fmt in ('int64', 'uint64'):
            return random.choice(['0', '-1', '9223372036854775807', '9223372036854775808',
                                  '18446744073709551616', 'x'])
        if fmt == 'byte':
            return random.choice(['', 'AAAA', '!!!', 'QUJD' * 1000])
        return random.choice(EDGE_STRINGS + [''.join(random.choice('abcXYZ-_./: ü')
                                                     for _ in range(random.randint(1, 40)))])


def operations(spec):
    for path, item in spec['paths'].items():
        for method, op in item.items():
            if method not in ('get', 'post', 'put', 'patch', 'delete'):
                continue
            if path.startswith('/v1/events') or (path.startswith('/v1/apiKeys') and method != 'get'):
                continue
            yield path, method, op


def request_for(gen, path, op):
    while '{' in path:
        a, b = path.index('{'), path.index('}')
        path = path[:a] + urllib.parse.quote(random.choice(PATH_VALUES), safe='') + path[b + 1:]
    query = []
    for parameter in op.get('parameters', []):
        if parameter.get('in') == 'query' and random.random() < 0.4:
            v = gen.value(parameter.get('schema', {}))
            for x in (v if isinstance(v, list) else [v])[:50]:
                query.append((parameter['name'], '' if x is None else
                              json.dumps(x) if isinstance(x, (dict, list)) else str(x)))
    if random.random() < 0.05:
        query.append(('unknown_param', 'x'))
    url = path + ('?' + urllib.parse.urlencode(query) if query else '')
    body = None
    if op.get('requestBody'):
        r = random.random()
        if r < 0.05:
            body = b'{"title": "x", ' + b'[' * 10000 + b']' * 10000 + b'}'
        elif r < 0.1:
            body = b'\xff\xfe{"title":"\xc3\x28"}'
        elif r < 0.13:
            body = b'{"title":"a","title":"b"}'
        else:
            schema = op['requestBody']['content']['application/json']['schema']
            body = json.dumps(gen.value(schema)).encode()
    return url, body


def violated_fields(answer):
    try:
        details = json.loads(answer).get('details', [])
    except ValueError:
        return []
    return [(v.get('field', ''), v.get('description', ''))
            for d in details for v in d.get('fieldViolations', [])]


def request_fields(spec, op):
    """The names a field violation may start with: the query and path parameters, the headers
    the API maps, and the body's properties (proto names, as violations use)."""
    names = {'Idempotency-Key', 'If-Match', 'Authorization', 'types'}
    for parameter in op.get('parameters', []):
        names.add(parameter['name'].split('.')[0])
    body = op.get('requestBody')
    body_names = set()
    if body:
        ref = body['content']['application/json']['schema'].get('$ref', '')
        schema = spec['components']['schemas'].get(ref.split('/')[-1], {})
        for camel in schema.get('properties', {}):
            body_names.add(''.join('_' + c.lower() if c.isupper() else c for c in camel))
    return names, body_names


def names_a_request_field(field, fields):
    """A body mapped to one field of the request (`body: "budget"`) is named after that field,
    which the API description does not show: `budget.minor_units` passes when `minor_units` is a
    property of the body."""
    names, body_names = fields
    segments = [x.split('[')[0] for x in field.split('.')]
    return (segments[0] in names or segments[0] in body_names or
            (len(segments) > 1 and segments[1] in body_names))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--endpoints', required=True, help="itsm-launch's <run_dir>/endpoints.json")
    p.add_argument('--api-key-file', required=True, help='a file holding an admin API key')
    p.add_argument('--iterations', type=int, default=25, help='rounds over every operation')
    p.add_argument('--seed', type=int, default=1)
    args = p.parse_args()
    random.seed(args.seed)
    host, port = gateway_address(args.endpoints)
    key = open(args.api_key_file).read().strip()

    def connect():
        return http.client.HTTPConnection(host, port, timeout=30)

    conn = connect()
    conn.request('GET', '/openapi.json')
    spec = json.loads(conn.getresponse().read())
    gen = Generator(spec['components']['schemas'])
    ops = list(operations(spec))
    print('operations', len(ops), flush=True)
    codes, findings, examples = collections.Counter(), collections.Counter(), {}
    unnamed, unnamed_examples = collections.Counter(), {}
    misnamed, misnamed_examples = collections.Counter(), {}
    slowest = 0.0
    headers = {'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json'}
    for iteration in range(args.iterations):
        for path, method, op in ops:
            url, body = request_for(gen, path, op)
            started = time.time()
            try:
                conn.request(method.upper(), url, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                # The gateway closes the connection after refusing an oversized request (413),
                # sometimes before the client has finished sending it.
                status = 'refused while sending' if body and len(body) > 1_000_000 else type(e).__name__
                data = b''
                conn.close()
                conn = connect()
            took = time.time() - started
            slowest = max(slowest, took)
            codes[status] += 1
            what = f'{method.upper()} {path} -> {status}'
            bad = (isinstance(status, int) and status >= 500 and status != 503) or took > 5 or (
                not isinstance(status, int) and status != 'refused while sending')
            if bad:
                findings[what] += 1
                examples.setdefault(what, (url[:300], (body or b'')[:300], data[:300], round(took, 2)))
            if status == 400 and b'fieldViolations' not in data:
                unnamed[what] += 1
                unnamed_examples.setdefault(what, (url[:200], (body or b'')[:200], data[:200]))
            elif status == 400:
                for field, description in violated_fields(data):
                    if description.startswith(('no such field', 'given twice')) or (
                            description.endswith('not the query')):
                        continue  # the name the client sent, as it sent it
                    if not names_a_request_field(field, request_fields(spec, op)):
                        misnamed[f'{what}: {field}'] += 1
                        misnamed_examples.setdefault(f'{what}: {field}', (url[:200], data[:300]))
        print('iteration', iteration, 'answers', dict(codes), flush=True)
    print('slowest answer', round(slowest, 3), 's')
    print('400 answers naming no field:', sum(unnamed.values()))
    for what, n in unnamed.most_common(15):
        print(' ', n, what, unnamed_examples[what])
    print('field violations naming no field of the request:', sum(misnamed.values()))
    for what, n in misnamed.most_common(15):
        print(' ', n, what, misnamed_examples[what])
    print('findings:', sum(findings.values()))
    for what, n in findings.most_common():
        print(' ', n, what, examples[what])
    sys.exit(1 if findings else 0)


if __name__ == '__main__':
    main()
