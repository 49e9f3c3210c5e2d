// Preloaded into the gateway (node --import) so it listens on 127.0.0.1 only: the gateway's
// start-server passes no hostname, which would bind every interface. Tests stay on loopback.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, host, ...rest) {
  if (typeof port === "number" && (host === undefined || typeof host === "function")) {
    const callback = typeof host === "function" ? [host] : [];
    return listen.call(this, port, "127.0.0.1", ...callback, ...rest);
  }
  return listen.call(this, port, host, ...rest);
};
