"""TLS certificates and SuperNode keys for a Flower deployment.

A SuperLink between real sites serves TLS and admits only registered
SuperNodes. :func:`make_certificates` writes a certificate authority (CA)
and a server certificate signed by it; every SuperNode and the ``flwr``
command line verify the SuperLink with the CA certificate
(``--root-certificates``, ``root-certificates``). :func:`make_node_key`
writes a SuperNode's key pair (ECDSA P-384, OpenSSH format, as
``ssh-keygen -t ecdsa -b 384`` writes it): the SuperNode signs with the
private key (``--auth-supernode-private-key``), the SuperLink's operator
registers the public key (``flwr supernode register``).

Flower's own ``certificates/generate.sh`` (OpenSSL) does the same; these
functions need only ``cryptography``, which Flower installs.
"""

# SPDX-License-Identifier: BSD-3-Clause

import datetime
import ipaddress
from pathlib import Path

__all__ = ["make_certificates", "make_node_key"]


def _write(path, data, private=False):
    path = Path(path)
    path.write_bytes(data)
    if private:
        path.chmod(0o600)
    return path


def _name(common_name):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(hosts):
    from cryptography import x509

    names = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def make_certificates(folder, hosts=("127.0.0.1", "localhost"), *, days=365):
    """Write a CA and a server certificate for the SuperLink into ``folder``.

    Parameters
    ----------
    folder : str or path
        Created if missing. Receives ``ca.crt`` and ``ca.key`` (the CA: keep
        ``ca.key`` off the network), ``server.pem`` and ``server.key`` (the
        SuperLink's certificate and key).
    hosts : sequence of str, default=("127.0.0.1", "localhost")
        The addresses the sites reach the SuperLink at (IP addresses or DNS
        names): the server certificate is valid for these only.
    days : int, default=365
        Validity of both certificates.

    Returns
    -------
    paths : dict of str -> Path
        ``ca``, ``ca_key``, ``server``, ``server_key``.

    Examples
    --------
    >>> import tempfile
    >>> from skcoop.flower.credentials import make_certificates
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = make_certificates(tmp, ["127.0.0.1"])
    ...     sorted(p.name for p in paths.values())
    ['ca.crt', 'ca.key', 'server.key', 'server.pem']
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    hosts = [str(h) for h in hosts]
    if not hosts:
        raise ValueError("hosts must name at least one address. Got [] instead.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days)

    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca_name = _name("skcoop federation CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP384R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(_san(hosts), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_format = dict(
        encoding=pem,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return {
        "ca": _write(folder / "ca.crt", ca.public_bytes(pem)),
        "ca_key": _write(folder / "ca.key", ca_key.private_bytes(**key_format), True),
        "server": _write(folder / "server.pem", server.public_bytes(pem)),
        "server_key": _write(
            folder / "server.key", server_key.private_bytes(**key_format), True
        ),
    }


def make_node_key(folder, name):
    """Write a SuperNode's key pair: ``<name>`` (private) and ``<name>.pub``.

    Parameters
    ----------
    folder : str or path
        Created if missing.
    name : str
        The file name of the private key (a site's name, say).

    Returns
    -------
    private, public : Path
        The private key stays at the site (``flower-supernode
        --auth-supernode-private-key``); the public key goes to the
        SuperLink's operator (``flwr supernode register``).

    Examples
    --------
    >>> import tempfile
    >>> from skcoop.flower.credentials import make_node_key
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     private, public = make_node_key(tmp, "site_a")
    ...     public.read_text().startswith("ecdsa-sha2-nistp384 ")
    True
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP384R1())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return (
        _write(folder / name, private, True),
        _write(folder / f"{name}.pub", public + f" {name}\n".encode()),
    )
