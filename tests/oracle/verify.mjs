// Second half of the keystore oracle: ethers 6 must decrypt every keystore the C++ code wrote
// (oracle_test writes them to the file given here) and find the same private key.
//
//   node verify.mjs <cxx-keystores.json>
import { readFileSync } from 'node:fs';

let ethers;
try {
  ethers = await import('ethers');
} catch {
  console.error('oracle: the npm package ethers is not installed in tests/oracle; run scripts/install-deps.sh');
  process.exit(1);
}
const file = process.argv[2];
if (!file) { console.error('usage: node verify.mjs <cxx-keystores.json>'); process.exit(2); }
const cases = JSON.parse(readFileSync(file, 'utf8'));
let failures = 0;
for (const c of cases) {
  try {
    const account = ethers.decryptKeystoreJsonSync(c.json, c.password);
    if (account.privateKey !== c.privateKey || account.address !== c.address) {
      failures++;
      if (failures <= 5) console.error(`mismatch: ${account.privateKey} / ${account.address} for ${c.json}`);
    }
  } catch (e) {
    failures++;
    if (failures <= 5) console.error(`ethers could not decrypt ${c.json}: ${e.message}`);
  }
}
console.log(`oracle verify: ethers decrypted ${cases.length - failures}/${cases.length} C++ keystores`);
if (cases.length < 100) { console.error('oracle verify: too few cases'); process.exit(1); }
process.exit(failures === 0 ? 0 : 1);
