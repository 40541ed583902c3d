/**
 * A real S3-compatible server for tests: s3rver, in a child Node process started with
 * --openssl-legacy-provider. s3rver signs its ListObjectsV2 continuation tokens with DES,
 * which OpenSSL 3 (Node 17+) only offers through the legacy provider; in the test process
 * every truncated listing page would fail with a 500.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/** Starts s3rver in a child process and resolves with its port once it listens. */
export async function startS3rver(directory: string, bucket: string): Promise<{ child: ChildProcess; port: number }> {
  const s3rverPath = createRequire(import.meta.url).resolve("s3rver");
  const script = `
    const S3rver = require(${JSON.stringify(s3rverPath)});
    // End with the test process: it holds our stdin open.
    process.stdin.on("end", () => process.exit(0)).resume();
    new S3rver({
      port: 0, address: "127.0.0.1", silent: true,
      directory: ${JSON.stringify(directory)},
      configureBuckets: [{ name: ${JSON.stringify(bucket)} }],
    }).run().then(
      (address) => process.stdout.write(JSON.stringify(address) + "\\n"),
      (error) => { console.error(error); process.exit(1); },
    );`;
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "-e", script], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => {
      const address: unknown = JSON.parse(line);
      if (typeof address === "object" && address !== null && "port" in address && typeof address.port === "number") {
        resolve(address.port);
      } else reject(new Error(`s3rver printed an unexpected address: ${line}`));
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited early with code ${String(code)}`)));
    child.once("error", reject);
  });
  return { child, port };
}

