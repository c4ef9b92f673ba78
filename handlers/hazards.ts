// The hazard feature lives in handlers/hazards/; this path stays for the console, which imports it here.
export { listHazard } from './hazards/index.ts';
