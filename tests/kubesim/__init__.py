"""A simulated Kubernetes cluster: an HTTPS API server with simulated controllers.

The demo, the end-to-end tests and molecule talk to it where no real cluster
can run. Where its behaviour differs from a real kube-apiserver, kubesim is
wrong and should be fixed.
"""
