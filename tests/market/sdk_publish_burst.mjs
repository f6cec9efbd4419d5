// Publishes workerpool orders one after the other through the market with the programmatic SDK, and appends the
// hash of every ACKNOWLEDGED publication to a file (one line each) — for the kill -9 check of
// sdk_market_interop.sh: every acknowledged order must still be there after the market is killed and restarted.
//
//   node sdk_publish_burst.mjs <rpc> <hub> <market> <acks file> <count>
//
// Stops at the first failed publication (the market was killed) and exits 0; exits 1 if nothing was acknowledged.
import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, '..', '..', 'tools', 'devnet', 'node_modules');
const { IExec } = await import(pathToFileURL(join(modules, 'iexec', 'dist', 'esm', 'lib', 'index.js')).href);
const { JsonRpcProvider, Wallet } = await import(pathToFileURL(join(modules, 'ethers', 'lib.esm', 'index.js')).href);

const [rpc, hub, market, acks, count] = process.argv.slice(2);
// Devnet account 5 (a public test key).
const provider = new JsonRpcProvider(rpc, undefined, { cacheTimeout: -1 });
const iexec = new IExec(
  { ethProvider: new Wallet('0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba', provider) },
  { hubAddress: hub, iexecGatewayURL: market, smsURL: 'http://127.0.0.1:1' },
);
const owner = await iexec.wallet.getAddress();
const { address: workerpool } = await iexec.workerpool.deployWorkerpool({
  owner,
  description: `burst-${Date.now()}-${process.pid}`,
});
// Sign first (no market involved), then publish as fast as the market acknowledges.
const orders = [];
for (let i = 0; i < Number(count); i += 1) {
  orders.push(
    await iexec.order.signWorkerpoolorder(
      await iexec.order.createWorkerpoolorder({ workerpool, workerpoolprice: i, volume: 1, category: 0 }),
    ),
  );
}
console.log(`signed ${orders.length}; publishing`);
let acknowledged = 0;
for (const order of orders) {
  try {
    const hash = await iexec.order.publishWorkerpoolorder(order);
    appendFileSync(acks, `${hash}\n`);
    acknowledged += 1;
  } catch (error) {
    console.log(`stopped after ${acknowledged} acknowledged publications: ${error.message}`);
    break;
  }
}
process.exit(acknowledged > 0 ? 0 : 1);
