// Signs an EIP-712 challenge document with ethers 6 exactly as the iexec SDK does (signTypedData with the types
// minus EIP712Domain) and prints the market Authorization header `<hash>_<signature>_<checksummed address>`.
// Used by wp_service_test (ChallengeHttp.EthersSignedChallengeIsAccepted).
//   node sign_challenge.mjs <typed-data.json> <0x private key (a test key)>
import { readFileSync } from 'node:fs';
import { TypedDataEncoder, Wallet } from 'ethers';

const [file, key] = process.argv.slice(2);
if (!file || !key) {
  console.error('usage: node sign_challenge.mjs <typed-data.json> <private key>');
  process.exit(2);
}
const doc = JSON.parse(readFileSync(file, 'utf8'));
const { EIP712Domain, ...types } = doc.types;
const wallet = new Wallet(key);
const hash = TypedDataEncoder.hash(doc.domain, types, doc.message);
const signature = await wallet.signTypedData(doc.domain, types, doc.message);
process.stdout.write(`${hash}_${signature}_${wallet.address}\n`);
