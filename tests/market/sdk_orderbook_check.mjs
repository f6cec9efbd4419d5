// The programmatic iexec SDK 9.0.1 against our market: publish orders of the four kinds, then the orderbook calls
// (all four kinds, paging, restrict semantics and strict flags) must return what the reference market returns.
//
//   node sdk_orderbook_check.mjs <rpc> <hub> <market>
//
// Uses devnet accounts 3 (workerpool / app / dataset owner) and 4 (requester): public test keys. Exits non-zero
// with the failed expectation.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, '..', '..', 'tools', 'devnet', 'node_modules');
const { IExec } = await import(pathToFileURL(join(modules, 'iexec', 'dist', 'esm', 'lib', 'index.js')).href);
// The ethers copy the SDK uses (hoisted next to it), so that its signer checks accept our Wallet.
const { JsonRpcProvider, Wallet } = await import(pathToFileURL(join(modules, 'ethers', 'lib.esm', 'index.js')).href);

const [rpc, hub, market] = process.argv.slice(2);
const OWNER_KEY = '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6';
const REQUESTER_KEY = '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a';
const ZERO = '0x0000000000000000000000000000000000000000';

function sdk(key) {
  // cacheTimeout -1: ethers' default 250 ms cache would reuse a stale nonce for back-to-back transactions on an
  // automining chain ("nonce too low", local-chain.md G4).
  const provider = new JsonRpcProvider(rpc, undefined, { cacheTimeout: -1 });
  return new IExec(
    { ethProvider: new Wallet(key, provider) },
    { hubAddress: hub, iexecGatewayURL: market, smsURL: 'http://127.0.0.1:1' },
  );
}

let checks = 0;
function expect(cond, what, got) {
  checks += 1;
  if (!cond) {
    console.error(`FAIL: ${what}${got === undefined ? '' : `: got ${JSON.stringify(got)}`}`);
    process.exit(1);
  }
}

const owner = sdk(OWNER_KEY);
const requester = sdk(REQUESTER_KEY);
const ownerAddress = await owner.wallet.getAddress();
const requesterAddress = await requester.wallet.getAddress();

// Resources (unique names: the registries derive addresses from them, and the script may run twice on a chain).
const run = `${Date.now()}-${process.pid}`;
const { address: workerpool } = await owner.workerpool.deployWorkerpool({ owner: ownerAddress, description: `sdk-check-${run}` });
const { address: app } = await owner.app.deployApp({
  owner: ownerAddress,
  name: `sdk-check-app-${run}`,
  type: 'DOCKER',
  multiaddr: 'registry.example/app:1.0.0',
  checksum: '0x00000000000000000000000000000000000000000000000000000000000000aa',
});
const { address: dataset } = await owner.dataset.deployDataset({
  owner: ownerAddress,
  name: `sdk-check-dataset-${run}`,
  multiaddr: '/ipfs/QmW2WQi7j6c7UgJTarActp7tDNikE4B2qXtFCfLPdsgaTQ',
  checksum: '0x00000000000000000000000000000000000000000000000000000000000000bb',
});

// 12 public workerpool orders with prices 0..11 (published in reverse order: the sort is by price), one restricted
// to an app, one restricted to the requester.
const published = [];
for (let price = 11; price >= 0; price -= 1) {
  const order = await owner.order.signWorkerpoolorder(
    await owner.order.createWorkerpoolorder({ workerpool, workerpoolprice: price, volume: 3, category: 0 }),
  );
  published.push({ price, hash: await owner.order.publishWorkerpoolorder(order) });
}
const appRestricted = await owner.order.publishWorkerpoolorder(
  await owner.order.signWorkerpoolorder(
    await owner.order.createWorkerpoolorder({ workerpool, workerpoolprice: 0, volume: 1, category: 0, apprestrict: app }),
  ),
);
const requesterRestricted = await owner.order.publishWorkerpoolorder(
  await owner.order.signWorkerpoolorder(
    await owner.order.createWorkerpoolorder({
      workerpool, workerpoolprice: 0, volume: 1, category: 0, requesterrestrict: requesterAddress,
    }),
  ),
);

// Paging: pageSize 10, count 12, nextPage on the full first page only; sorted by price ascending.
const page0 = await requester.orderbook.fetchWorkerpoolOrderbook({ workerpool, pageSize: 10 });
expect(page0.count === 12, 'workerpool orderbook count (public orders only)', page0.count);
expect(page0.orders.length === 10, 'first page size', page0.orders.length);
const prices = page0.orders.map((o) => Number(o.order.workerpoolprice));
expect(JSON.stringify(prices) === JSON.stringify([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 'sorted by price', prices);
// The SDK turns the market's nextPage into a more() function.
expect(typeof page0.more === 'function', 'nextPage (more) on a full page', Object.keys(page0));
const page1 = await requester.orderbook.fetchWorkerpoolOrderbook({ workerpool, pageSize: 10, page: 1 });
expect(page1.orders.length === 2, 'second page', page1.orders.length);
expect(page1.more === undefined, 'no nextPage (more) on the last page', Object.keys(page1));
const viaMore = await page0.more();
expect(viaMore.orders.length === 2 && viaMore.orders[0].orderHash === page1.orders[0].orderHash, 'more() gives page 1', viaMore.orders.length);
const first = page0.orders[0];
expect(first.status === 'open' && first.remaining === 3 && first.signer === ownerAddress, 'document fields', first);
expect(typeof first.order.volume === 'number' && first.chainId === 31337, 'numbers are JSON numbers', first);

// Restrict semantics: omitted = public only; an address includes the orders restricted to it; strict = only them.
const withApp = await requester.orderbook.fetchWorkerpoolOrderbook({ workerpool, app, pageSize: 20 });
expect(withApp.count === 13 && withApp.orders.some((o) => o.orderHash === appRestricted), 'app filter includes', withApp.count);
const appStrict = await requester.orderbook.fetchWorkerpoolOrderbook({ workerpool, app, isAppStrict: true });
expect(appStrict.count === 1 && appStrict.orders[0].orderHash === appRestricted, 'isAppStrict', appStrict.count);
const reqStrict = await requester.orderbook.fetchWorkerpoolOrderbook({
  workerpool, requester: requesterAddress, isRequesterStrict: true,
});
expect(reqStrict.count === 1 && reqStrict.orders[0].orderHash === requesterRestricted, 'isRequesterStrict', reqStrict.count);
const anyPool = await requester.orderbook.fetchWorkerpoolOrderbook({ workerpool: 'any', app: 'any', requester: 'any' });
expect(anyPool.count >= 14, 'any', anyPool.count);

// By hash.
const one = await requester.orderbook.fetchWorkerpoolorder(published[0].hash);
expect(one.orderHash === published[0].hash && Number(one.order.workerpoolprice) === 11, 'fetchWorkerpoolorder', one);

// App and dataset orders.
const appHash = await owner.order.publishApporder(
  await owner.order.signApporder(await owner.order.createApporder({ app, appprice: 2, volume: 5 })),
);
const appBook = await requester.orderbook.fetchAppOrderbook({ app });
expect(appBook.count === 1 && appBook.orders[0].orderHash === appHash, 'fetchAppOrderbook', appBook);
const datasetHash = await owner.order.publishDatasetorder(
  await owner.order.signDatasetorder(await owner.order.createDatasetorder({ dataset, datasetprice: 1, volume: 5 }), {
    preflightCheck: false,
  }),
  { preflightCheck: false },
);
const datasetBook = await requester.orderbook.fetchDatasetOrderbook({ dataset });
expect(datasetBook.count === 1 && datasetBook.orders[0].orderHash === datasetHash, 'fetchDatasetOrderbook', datasetBook);

// A request order (matching app order published above).
const requestorder = await requester.order.signRequestorder(
  await requester.order.createRequestorder({ app, appmaxprice: 2, workerpoolmaxprice: 5, category: 0, volume: 1 }),
  { preflightCheck: false },
);
const requestHash = await requester.order.publishRequestorder(requestorder, { preflightCheck: false });
const requestBook = await requester.orderbook.fetchRequestOrderbook({ requester: requesterAddress });
expect(requestBook.count === 1 && requestBook.orders[0].orderHash === requestHash, 'fetchRequestOrderbook', requestBook);

// Unpublish all of the pool's orders.
const gone = await owner.order.unpublishAllWorkerpoolorders(workerpool);
expect(gone.length === 14, 'unpublishAllWorkerpoolorders', gone.length);
const empty = await requester.orderbook.fetchWorkerpoolOrderbook({ workerpool, app: 'any', requester: 'any' });
expect(empty.count === 0, 'empty after unpublish all', empty.count);

console.log(`sdk orderbook check: ${checks} checks OK`);
