export { AgentSightSampler } from './agentsight-sampler';
