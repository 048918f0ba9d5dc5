// `guardrun prices [MODEL]`: the price in force for a model, its source and the date of the data.
import type { Command } from 'commander';
import { createPriceBook } from '../../cost/price-book.js';
import { loadPriceData, PRICE_DATA_SOURCE } from '../../cost/price-data.js';
import { describePrice, type PriceView, type RateView } from '../../cost/price-view.js';
import { GuardrunError } from '../../errors.js';
import { loadPolicy } from '../../policy/load.js';
import { isProvider, type Provider } from '../../providers.js';
import type { CommandContext } from '../context.js';
import { colorsFor } from '../output.js';
import { POLICY_DEFAULT } from '../help-text.js';

interface PricesFlags {
  provider?: string;
  policy?: string;
  json?: boolean;
}

export function registerPrices(program: Command, ctx: CommandContext): void {
  program
    .command('prices [model]')
    .description('show the price in force for a model (your cost.prices, else the bundled data, else a guess) and its source')
    .option('--provider <name>', 'openai or anthropic (default: anthropic for claude-* models, else openai)')
    .option('--policy <file>', `policy file whose cost.prices apply (default ${POLICY_DEFAULT})`)
    .option('--json', 'print a JSON document')
    .action(async (model: string | undefined, flags: PricesFlags) => {
      const loaded = await loadPolicy({ file: flags.policy, cwd: ctx.io.cwd, env: ctx.io.env });
      const { cost } = loaded.policy;
      const book = createPriceBook({ prices: cost.prices, policySource: loaded.source });
      await book.whenReady();
      const out = ctx.io.stdout;
      const c = colorsFor(out, ctx.io.env);
      if (model === undefined) {
        const own = Object.keys(cost.prices);
        if (flags.json) {
          out.write(JSON.stringify({ data: PRICE_DATA_SOURCE, policy: loaded.source, prices: cost.prices, unknownModel: cost.unknown_model }, null, 2) + '\n');
          return;
        }
        out.write(`${c.bold('bundled prices')}  ${PRICE_DATA_SOURCE} (never updated over the network)\n`);
        out.write(`${c.bold('your prices')}     ${own.length === 0 ? 'none' : own.join(', ')} ${c.dim(`(cost.prices in ${loaded.source}; they win over the bundled data)`)}\n`);
        out.write(`${c.bold('unknown models')}  cost.unknown_model: ${cost.unknown_model}${cost.unknown_model === 'guess' ? ' (priced as the most expensive model of their family)' : ''}\n`);
        out.write(c.dim('run `guardrun prices MODEL` for one model\n'));
        return;
      }
      const provider = providerOf(model, flags.provider);
      const view = describePrice(book, provider, model);
      if (view?.source === 'bundled' && flags.provider !== undefined) await refuseOtherProvider(model, provider);
      if (!view) throw new GuardrunError('E_USAGE', `no price is known or can be guessed for ${provider} model "${model}"`, 'set one with cost.prices in your policy (see docs/policy.md)');
      out.write(flags.json ? JSON.stringify(view, null, 2) + '\n' : render(view, c));
    });
}

function providerOf(model: string, given: string | undefined): Provider {
  if (given === undefined) return /^claude/i.test(model) ? 'anthropic' : 'openai';
  if (!isProvider(given)) throw new GuardrunError('E_USAGE', `unknown provider "${given}"`, 'use --provider openai or --provider anthropic');
  return given;
}

/**
 * `prices gpt-4.1-mini --provider anthropic`: the bundled data knows the model only under another provider, so the
 * price shown would be that provider's under this one's heading and tiers. Refused, naming the model's provider.
 */
async function refuseOtherProvider(model: string, provider: Provider): Promise<void> {
  const data = await loadPriceData();
  if (data.calcPrice({}, model, { providerId: provider })) return;
  const owner = data.calcPrice({}, model)?.provider;
  if (!owner || owner.id === provider) return;
  const fix = isProvider(owner.id) ? `guardrun prices ${model} --provider ${owner.id}, or leave --provider out` : 'leave --provider out';
  throw new GuardrunError('E_USAGE', `${provider} has no model "${model}": the bundled prices list it under ${owner.name ?? owner.id}`, fix);
}

function render(v: PriceView, c: ReturnType<typeof colorsFor>): string {
  const lines = [`${c.bold(v.model)} ${c.dim(`(${v.provider})`)}`];
  const what = v.source === 'guess' ? c.yellow(v.sourceText) : v.entry === v.model ? v.sourceText : `${v.entry} from ${v.sourceText}`;
  lines.push(`  price from       ${what}`);
  const rates: Array<[string, RateView | undefined]> = [
    ['input', v.perMillionTokens.input],
    ['cached input', v.perMillionTokens.cachedInput],
    ['cache write', v.perMillionTokens.cacheWrite],
    ['cache write 1h', v.perMillionTokens.cacheWrite1h],
    ['output', v.perMillionTokens.output],
  ];
  for (const [name, rate] of rates) if (rate) lines.push(`  ${name.padEnd(16)} ${rateText(rate, 'per 1M tokens')}`);
  if (v.perThousandCalls.webSearch) lines.push(`  ${'web search'.padEnd(16)} ${rateText(v.perThousandCalls.webSearch, 'per 1,000 calls')}`);
  lines.push(`  ${'tiers'.padEnd(16)} ${v.tiers.map((t) => `${t.tier} x${t.factor}${t.note ? ` (${t.note})` : ''}`).join(' · ')}`);
  return lines.join('\n') + '\n';
}

function rateText(rate: RateView, unit: string): string {
  const above = (rate.above ?? []).map((a) => `, $${a.usd} from ${(a.inputTokens + 1).toLocaleString("en-US")} input tokens`).join("");
  return `$${rate.usd} ${unit}${above}`;
}
