/**
 * Builds dist/ once before the tests: the pipeline tests run the real `nianbao` command in
 * child processes (workers must be killable with kill -9), and the parser threads load
 * compiled code.
 */
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync("npm", ["run", "build", "--silent"], { stdio: "inherit" });
}
