"""Where a suite started by itsm-launch listens, from its <run_dir>/endpoints.json."""
import json
import os
import urllib.parse


def gateway_address(endpoints_path):
    """(host, port) of the gateway's HTTP listener."""
    with open(endpoints_path) as f:
        endpoints = json.load(f)
    url = next(s['httpUrl'] for s in endpoints['services'] if s['name'] == 'gateway')
    parsed = urllib.parse.urlsplit(url)
    return parsed.hostname, parsed.port or 80


def redis_address(endpoints_path):
    """"host:port" of the suite's redis-server."""
    with open(endpoints_path) as f:
        return json.load(f)['redisAddress']


def redis_password(endpoints_path):
    """The local suite's Redis password (run/auth/redis-password beside endpoints.json), or ''."""
    path = os.path.join(os.path.dirname(os.path.abspath(endpoints_path)), 'auth', 'redis-password')
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ''
