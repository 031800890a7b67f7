"""Login errors say what the server said. A Cyrus-like server that advertises LOGINDISABLED
(``allowplaintext: no``) is told apart from a wrong password. Dovecot counts loopback as
secure and never advertises it there, so a minimal IMAP server on the wire stands in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from voidmail import config, imap
from voidmail.config import Secret


class CyrusLike:
    """Greets, answers CAPABILITY and LOGIN as told, and LOGOUT; nothing else."""

    def __init__(self, capabilities: str, login_reply: str) -> None:
        self.capabilities = capabilities
        self.login_reply = login_reply
        self.logins = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f"* OK [CAPABILITY {self.capabilities}] test server ready\r\n".encode())
        while line := await reader.readline():
            tag, _, rest = line.decode().strip().partition(" ")
            command = rest.split(" ", 1)[0].upper()
            if command == "CAPABILITY":
                writer.write(f"* CAPABILITY {self.capabilities}\r\n{tag} OK done\r\n".encode())
            elif command == "LOGIN":
                self.logins += 1
                writer.write(f"{tag} {self.login_reply}\r\n".encode())
            elif command == "LOGOUT":
                writer.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                await writer.drain()
                break
            else:
                writer.write(f"{tag} BAD unknown\r\n".encode())
            await writer.drain()
        writer.close()


async def serve(server: CyrusLike) -> AsyncIterator[int]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    async with listener:
        yield listener.sockets[0].getsockname()[1]


def settings(port: int) -> config.ImapSettings:
    return config.ImapSettings(
        host="127.0.0.1",
        port=port,
        security="plain",
        username="tienda",
        password=Secret("s3cret-pass"),
        timeout=5.0,
    )


async def login_error(server: CyrusLike) -> imap.ImapLoginError:
    async for port in serve(server):
        connection = imap.ImapConnection(settings(port))
        try:
            with pytest.raises(imap.ImapLoginError) as caught:
                await connection.connect()
        finally:
            await connection.close()
        return caught.value
    raise AssertionError("the server did not start")


async def test_logindisabled_is_not_reported_as_a_wrong_password() -> None:
    server = CyrusLike("IMAP4rev1 LOGINDISABLED STARTTLS", "NO Login only available under a layer")
    error = await login_error(server)
    assert not isinstance(error, imap.ImapCredentialsRefused)
    assert "LOGINDISABLED" in str(error)
    assert 'imap.security to "starttls" or "tls"' in str(error)
    assert server.logins == 0, "the password was not sent in the clear"


async def test_a_refused_login_carries_the_servers_own_words() -> None:
    server = CyrusLike("IMAP4rev1 IDLE", "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
    error = await login_error(server)
    assert isinstance(error, imap.ImapCredentialsRefused)
    assert "[AUTHENTICATIONFAILED] Invalid credentials (Failure)" in str(error)
    assert "s3cret-pass" not in str(error)


async def test_a_cancelled_caller_takes_its_imap_command_with_it() -> None:
    # A caller cancelled from outside (a check's overall deadline) must not leave the command
    # running on its own, to finish or open a connection after close().
    connection = imap.ImapConnection(settings(1))
    started = asyncio.Event()
    command_cancelled = asyncio.Event()

    async def command() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            command_cancelled.set()
            raise

    caller = asyncio.create_task(connection._call(command(), "NOOP"))
    await asyncio.wait_for(started.wait(), 5)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.wait_for(command_cancelled.wait(), 5)
