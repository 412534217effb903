"""An embedded MQTT 3.1.1 broker (amqtt) for the one-command demo.

For demos and tests of the web only: amqtt loses QoS 1 messages in flight on reconnect
(amqtt issue #401), so production and the no-loss tests use Mosquitto.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

log = logging.getLogger(__name__)

START_TIMEOUT_S = 15.0


class EmbeddedBroker:
    """Run amqtt on 127.0.0.1:port in a background thread with its own event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        """Start the broker and return once it accepts connections."""
        if _port_in_use(self.host, self.port):
            raise RuntimeError(
                f"cannot start the embedded MQTT broker: {self.host}:{self.port} is in use "
                "(choose another port with --mqtt-url, or point Hazwatch at that broker)"
            )
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise RuntimeError("embedded MQTT broker did not start in time")
        if self._error:
            raise RuntimeError(f"embedded MQTT broker failed to start: {self._error}")

    def _run(self) -> None:
        from amqtt.broker import Broker

        # amqtt logs every connection at INFO; keep the demo's console readable.
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        logging.getLogger("transitions").setLevel(logging.WARNING)
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
            },
        }

        async def boot() -> None:
            broker = Broker(config, loop=loop)
            self._broker = broker
            await broker.start()

        try:
            loop.run_until_complete(boot())
        except BaseException as exc:  # reported to start() in the calling thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.close()

    def stop(self) -> None:
        """Shut the broker down and join its thread."""
        loop, broker = self._loop, self._broker
        if loop is None or broker is None:
            return
        fut = asyncio.run_coroutine_threadsafe(broker.shutdown(), loop)
        try:
            fut.result(10)
        except Exception:  # shutting down anyway
            log.warning("embedded broker did not shut down cleanly", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread:
            self._thread.join(10)


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0
