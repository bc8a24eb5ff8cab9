"""An independent client of the suite's gRPC API: Python's grpcio, stubs generated from proto/.

Nothing here comes from the suite's C++ code: the stubs are generated with protoc from the
shipped .proto files, the identity token is signed here (ES256, Python's `cryptography`) with the
run's issuer key, and error details are read from the standard `grpc-status-details-bin`
trailer. It calls a launched suite's configuration and incident services directly and checks
what docs/api.md and docs/security.md promise any client: authentication and roles, idempotent
creates, field-named errors, unknown fields refused, optimistic concurrency, paging, and an audit
trail naming the verified subject. Exits 1 naming every check that failed.

usage: client_check.py --endpoints RUN/endpoints.json --proto-dir proto --googleapis DIR
"""
import argparse
import base64
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import grpc
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

FAILURES = []
GRPC_PROTOS = '/usr/share/grpc-proto'
GRPC_HEALTH = 'grpc/health/v1/health.proto'
# gRPC 1.51's C++ servers answer the v1alpha reflection protocol.
GRPC_REFLECTION = 'grpc/reflection/v1alpha/reflection.proto'


def check(condition, what):
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        FAILURES.append(what)


def generate_stubs(proto_dir, googleapis, out_dir):
    """Python modules for every .proto of the suite, the googleapis ones they use, and gRPC's
    health and reflection protocols (Debian's grpc-proto)."""
    files = []
    for root, _, names in os.walk(proto_dir):
        files += [os.path.relpath(os.path.join(root, n), proto_dir) for n in names
                  if n.endswith('.proto')]
    files += ['google/api/annotations.proto', 'google/api/http.proto',
              'google/rpc/status.proto', 'google/rpc/error_details.proto']
    files += [GRPC_HEALTH, GRPC_REFLECTION]
    subprocess.run(['protoc', f'-I{proto_dir}', '-I/usr/include', f'-I{googleapis}',
                    f'-I{GRPC_PROTOS}', f'--python_out={out_dir}', f'--grpc_python_out={out_dir}',
                    '--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin'] + sorted(files),
                   check=True)
    sys.path.insert(0, out_dir)
    # The health and reflection modules are grpc.health.v1 and grpc.reflection.v1alpha, below
    # grpcio's own package `grpc`: let it find them in the generated folder too.
    grpc.__path__.append(os.path.join(out_dir, 'grpc'))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


class TokenSigner:
    """ES256 JWTs as docs/security.md section 1 describes them, signed with `key`."""

    def __init__(self, key, kid, issuer, audience):
        self.key, self.kid, self.issuer, self.audience = key, kid, issuer, audience

    def token(self, subject, roles, lifetime=300):
        header = {'alg': 'ES256', 'typ': 'JWT', 'kid': self.kid}
        now = int(time.time())
        claims = {'iss': self.issuer, 'aud': self.audience, 'sub': subject, 'roles': roles,
                  'iat': now, 'nbf': now, 'exp': now + lifetime}
        signing_input = (b64url(json.dumps(header).encode()) + '.' +
                         b64url(json.dumps(claims).encode())).encode()
        r, s = decode_dss_signature(self.key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return signing_input.decode() + '.' + b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))


def varint(value):
    """Protocol Buffers' base-128 encoding of a non-negative integer."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def metadata(token):
    return [('authorization', f'Bearer {token}')] if token else []


def call_error(fn, request, token):
    """The RpcError a call ends with, or None when it succeeds."""
    try:
        fn(request, metadata=metadata(token), timeout=30)
        return None
    except grpc.RpcError as e:
        return e


def field_violations(error):
    """The fields a google.rpc.BadRequest in the error's status details names."""
    status_pb2 = importlib.import_module('google.rpc.status_pb2')
    details_pb2 = importlib.import_module('google.rpc.error_details_pb2')
    for key, value in error.trailing_metadata() or ():
        if key == 'grpc-status-details-bin':
            status = status_pb2.Status.FromString(value)
            fields = []
            for detail in status.details:
                bad_request = details_pb2.BadRequest()
                if detail.Unpack(bad_request):
                    fields += [v.field for v in bad_request.field_violations]
            return fields
    return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--endpoints', required=True)
    parser.add_argument('--proto-dir', required=True)
    parser.add_argument('--googleapis', required=True)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as stubs:
        generate_stubs(args.proto_dir, args.googleapis, stubs)
        run(args)
    if FAILURES:
        print(f'{len(FAILURES)} check(s) failed', flush=True)
        return 1
    print('every check passed', flush=True)
    return 0


def run(args):
    incident_pb2 = importlib.import_module('itsm.incident.v1.incident_pb2')
    incident_grpc = importlib.import_module('itsm.incident.v1.incident_pb2_grpc')
    config_pb2 = importlib.import_module('itsm.config.v1.config_pb2')
    config_grpc = importlib.import_module('itsm.config.v1.config_pb2_grpc')
    field_mask_pb2 = importlib.import_module('google.protobuf.field_mask_pb2')

    with open(args.endpoints) as f:
        endpoints = json.load(f)
    address = {s['name']: s['grpcAddress'] for s in endpoints['services']}
    auth = endpoints['auth']
    with open(auth['jwksFile']) as f:
        kid = json.load(f)['keys'][0]['kid']
    with open(auth['signingKeyFile'], 'rb') as f:
        issuer_key = serialization.load_pem_private_key(f.read(), password=None)
    signer = TokenSigner(issuer_key, kid, auth.get('issuer', 'itsm'), auth.get('audience', 'itsm'))
    forger = TokenSigner(ec.generate_private_key(ec.SECP256R1()), kid, signer.issuer,
                         signer.audience)

    incidents = incident_grpc.IncidentServiceStub(grpc.insecure_channel(address['incident']))
    cmdb = config_grpc.ConfigurationServiceStub(grpc.insecure_channel(address['configuration']))
    agent = 'py-agent@example.org'
    agent_token = signer.token(agent, ['agent'])

    def create_request(**fields):
        request = incident_pb2.CreateIncidentRequest(title='Printer on fire', impact=2, urgency=2)
        for name, value in fields.items():
            if isinstance(value, list):
                getattr(request, name).extend(value)
            else:
                setattr(request, name, value)
        return request

    check_infrastructure(address['incident'], incident_pb2)

    # Who may call.
    error = call_error(incidents.CreateIncident, create_request(), None)
    check(error is not None and error.code() == grpc.StatusCode.UNAUTHENTICATED,
          'a call without a token is UNAUTHENTICATED')
    error = call_error(incidents.CreateIncident, create_request(), forger.token(agent, ['agent']))
    check(error is not None and error.code() == grpc.StatusCode.UNAUTHENTICATED,
          'a token signed with another key under the issuer\'s kid is UNAUTHENTICATED')
    error = call_error(incidents.CreateIncident, create_request(),
                       signer.token('py-viewer', ['viewer']))
    check(error is not None and error.code() == grpc.StatusCode.PERMISSION_DENIED,
          'a viewer creating an incident is PERMISSION_DENIED')
    expired = TokenSigner(issuer_key, kid, signer.issuer, signer.audience).token(
        agent, ['agent'], lifetime=-600)
    error = call_error(incidents.CreateIncident, create_request(), expired)
    check(error is not None and error.code() == grpc.StatusCode.UNAUTHENTICATED
          and 'expired' in error.details(), 'an expired token is UNAUTHENTICATED, saying so')

    # A CI in the CMDB, then an incident naming it (the incident service asks the CMDB).
    ci = cmdb.CreateConfigurationItem(
        config_pb2.CreateConfigurationItemRequest(class_name='server',
                                                  name=f'py-{uuid.uuid4().hex[:8]}'),
        metadata=metadata(signer.token('py-cmdb', ['cmdb_manager'])), timeout=30).configuration_item
    check(ci.created_by == 'py-cmdb', 'the CI records the verified subject as created_by')

    key = f'py-{uuid.uuid4()}'
    first = incidents.CreateIncident(
        create_request(configuration_item_ids=[ci.id], idempotency_key=key),
        metadata=metadata(agent_token), timeout=30).incident
    again = incidents.CreateIncident(
        create_request(configuration_item_ids=[ci.id], idempotency_key=key),
        metadata=metadata(agent_token), timeout=30).incident
    check(first.id and first.id == again.id and first.number.startswith('INC'),
          'a create retried with its idempotency key returns the first incident')
    check(list(first.configuration_item_ids) == [ci.id], 'the incident names the CI')
    error = call_error(incidents.CreateIncident,
                       create_request(title='Another printer', idempotency_key=key), agent_token)
    check(error is not None and error.code() == grpc.StatusCode.ALREADY_EXISTS
          and 'idempotency_key' in error.details(),
          'the key reused for a different request is ALREADY_EXISTS, naming idempotency_key')

    # Errors name the field, in the standard details.
    error = call_error(incidents.CreateIncident, create_request(title=''), agent_token)
    check(error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT
          and 'title' in field_violations(error),
          'a create without a title is INVALID_ARGUMENT with a BadRequest naming "title"')
    error = call_error(incidents.CreateIncident, create_request(impact=9), agent_token)
    check(error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT
          and 'impact' in field_violations(error),
          'impact 9 is INVALID_ARGUMENT naming "impact"')
    error = call_error(incidents.CreateIncident,
                       create_request(configuration_item_ids=['no-such-ci']), agent_token)
    check(error is not None and error.code() in (grpc.StatusCode.INVALID_ARGUMENT,
                                                 grpc.StatusCode.NOT_FOUND,
                                                 grpc.StatusCode.FAILED_PRECONDITION)
          and 'configuration_item_ids' in (error.details() + ' '.join(field_violations(error))),
          'an unknown CI is refused, naming configuration_item_ids')

    # A field this version of the API does not know (number 99, a varint) is refused, not
    # dropped: the client would otherwise believe it was stored.
    channel = grpc.insecure_channel(address['incident'])
    raw = channel.unary_unary('/itsm.incident.v1.IncidentService/CreateIncident',
                              request_serializer=lambda b: b, response_deserializer=lambda b: b)
    unknown_field = create_request().SerializeToString() + varint(99 << 3) + varint(1)
    error = call_error(raw, unknown_field, agent_token)
    check(error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT,
          'a request with an unknown field is INVALID_ARGUMENT')
    before = incidents.ListIncidents(
        incident_pb2.ListIncidentsRequest(title_contains='Printer on fire'),
        metadata=metadata(agent_token), timeout=30)
    check(len(before.incidents) == 1, 'the refused creates stored nothing (one incident listed)')

    # Optimistic concurrency: an update names the version it read.
    stale = incident_pb2.Incident(id=first.id, version=first.version, title='Printer still burning')
    mask = field_mask_pb2.FieldMask(paths=['title'])
    updated = incidents.UpdateIncident(
        incident_pb2.UpdateIncidentRequest(incident=stale, update_mask=mask),
        metadata=metadata(agent_token), timeout=30).incident
    check(updated.version == first.version + 1 and updated.title == 'Printer still burning',
          'an update with the version read applies and moves the version on')
    error = call_error(incidents.UpdateIncident,
                       incident_pb2.UpdateIncidentRequest(incident=stale, update_mask=mask),
                       agent_token)
    check(error is not None and error.code() == grpc.StatusCode.ABORTED,
          'an update with a stale version is ABORTED')

    # Paging: every incident once, whatever the page size.
    created = {first.id}
    for i in range(4):
        created.add(incidents.CreateIncident(create_request(title=f'Paged {i}'),
                                             metadata=metadata(agent_token),
                                             timeout=30).incident.id)
    seen, token, pages = [], '', 0
    while True:
        page = incidents.ListIncidents(
            incident_pb2.ListIncidentsRequest(
                page=importlib.import_module('itsm.common.v1.common_pb2').PageRequest(
                    page_size=2, page_token=token)),
            metadata=metadata(agent_token), timeout=30)
        seen += [incident.id for incident in page.incidents]
        pages += 1
        token = page.next_page_token
        if not token or pages > 10:
            break
    check(len(seen) == len(set(seen)) and created <= set(seen) and pages >= 3,
          f'pages of 2 list every incident once ({len(seen)} in {pages} pages)')
    error = call_error(incidents.ListIncidents, incident_pb2.ListIncidentsRequest(
        page=importlib.import_module('itsm.common.v1.common_pb2').PageRequest(
            page_token='not-a-token')), agent_token)
    check(error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT
          and 'page.page_token' in field_violations(error),
          'an edited page token is INVALID_ARGUMENT naming page.page_token')

    # The audit trail names the verified subject for every entry.
    history = incidents.GetHistory(incident_pb2.GetHistoryRequest(id=first.number),
                                   metadata=metadata(agent_token), timeout=30)
    actors = {entry.actor for entry in history.entries}
    check(len(history.entries) == 2 and actors == {agent},
          f'the trail has the create and the update, both by {agent} (actors {sorted(actors)})')


def check_infrastructure(address, incident_pb2):
    """Health and reflection answer without a token, and reflection serves the descriptors this
    client was generated from, options for other languages included."""
    health_pb2 = importlib.import_module('grpc.health.v1.health_pb2')
    health_grpc = importlib.import_module('grpc.health.v1.health_pb2_grpc')
    reflection_pb2 = importlib.import_module('grpc.reflection.v1alpha.reflection_pb2')
    reflection_grpc = importlib.import_module('grpc.reflection.v1alpha.reflection_pb2_grpc')
    descriptor_pb2 = importlib.import_module('google.protobuf.descriptor_pb2')
    channel = grpc.insecure_channel(address)

    answer = health_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=''),
                                                   timeout=30)
    check(answer.status == health_pb2.HealthCheckResponse.SERVING,
          'grpc.health.v1 Check answers SERVING without a token')

    service = 'itsm.incident.v1.IncidentService'
    answers = list(reflection_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services=''),
              reflection_pb2.ServerReflectionRequest(file_containing_symbol=service)]),
        timeout=30))
    listed = {s.name for s in answers[0].list_services_response.service}
    check(service in listed, f'reflection lists {service} ({sorted(listed)})')
    files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
             for raw in answers[1].file_descriptor_response.file_descriptor_proto]
    served = next((f for f in files if f.name == 'itsm/incident/v1/incident.proto'), None)
    local = descriptor_pb2.FileDescriptorProto()
    incident_pb2.DESCRIPTOR.CopyToProto(local)
    check(served is not None and served.options.go_package == local.options.go_package
          and served.options.go_package.endswith(';incidentv1')
          and [m.name for m in served.service[0].method] ==
          [m.name for m in local.service[0].method],
          'reflection serves incident.proto as generated here, go_package included')


if __name__ == '__main__':
    sys.exit(main())
