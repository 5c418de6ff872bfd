"""Local fakes of the providers phonelist talks to, served over real HTTP."""
