// The machine line: cores, CPU model (from /proc/cpuinfo), Node version, OS.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';

export function machineInfo() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model;
  } catch {
    // not Linux
  }
  return {
    cores: availableParallelism(),
    model,
    node: process.version,
    os: `${platform()} ${release()}`,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    // Other work on the machine skews everything; the 1-minute load average before the bench starts shows it.
    loadAtStart: loadavg()[0],
  };
}
