/**
 * A TCP proxy in the test process that can "stop" the service behind it: close its listener
 * and destroy every open connection, optionally at the moment a PostgreSQL transaction
 * begins; and start it again on the same port. Used by test/faults/store-outage.test.ts and
 * test/store-pg.test.ts.
 */
import net from "node:net";

/** The simple-protocol Query message `BEGIN` (what node-postgres sends for query("BEGIN")). */
const PG_BEGIN = Buffer.concat([Buffer.from([0x51, 0, 0, 0, 10]), Buffer.from("BEGIN\0", "latin1")]);

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private trigger: (() => void) | null = null;
  port = 0;
  /** Connections accepted so far. */
  accepted = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = "127.0.0.1",
  ) {}

  get listening(): boolean {
    return this.server !== null;
  }

  async listen(port = this.port): Promise<number> {
    const server = net.createServer((client) => this.onConnection(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  private onConnection(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("data", (chunk: Buffer) => {
      // Armed: the first transaction that begins is cut before the server ever sees it,
      // so the client loses its connection while its BEGIN is in flight.
      if (this.trigger && chunk.includes(PG_BEGIN)) {
        const fire = this.trigger;
        this.trigger = null;
        fire();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    for (const s of [client, upstream]) {
      s.on("error", drop);
      s.on("close", drop);
    }
  }

  /** Stops the service: no new connections, and every open one destroyed. */
  cut(): void {
    this.trigger = null;
    this.server?.close();
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /**
   * Cuts as soon as a client begins a PostgreSQL transaction, or after `fallbackMs`.
   * Resolves with what triggered the cut.
   */
  cutAtNextTransaction(fallbackMs: number): Promise<"transaction" | "timer"> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.cut();
        resolve("timer");
      }, fallbackMs);
      this.trigger = () => {
        clearTimeout(timer);
        this.cut();
        resolve("transaction");
      };
    });
  }

  async close(): Promise<void> {
    this.cut();
  }
}
