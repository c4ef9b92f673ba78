// The hazard feature lives in handlers/hazards/; this path stays for the callers that import it here.
export { listHazard, offerReport } from './hazards/index.ts';
