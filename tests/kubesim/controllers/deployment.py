"""The Deployment controller: one ReplicaSet per pod template, named <deployment>-<pod-template-hash>.

A changed template gets a new ReplicaSet, scaled up within maxSurge while
the old ones are scaled down within maxUnavailable (Recreate: old pods go
first). Status and the Available/Progressing conditions use the real
controller's reasons and messages.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

from ..store import clone
from .base import Controller, is_deleting, owned_by, owner_reference, set_condition
from .events import record_event

COMPONENT = "deployment-controller"
HASH_LABEL = "pod-template-hash"
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def pod_template_hash(template: dict[str, Any], collision_count: int = 0) -> str:
    """Hash a pod template like the deployment controller: FNV-32a, printed in decimal, safely encoded."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    value = 0x811C9DC5
    for byte in data:
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return "".join(SAFE_ALPHABET[ord(char) % len(SAFE_ALPHABET)] for char in str(value))


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    result = clone(template)
    labels = (result.get("metadata") or {}).get("labels") or {}
    labels.pop(HASH_LABEL, None)
    return result


def _revision(replica_set: dict[str, Any]) -> int:
    return int((replica_set["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, "0") or 0)


def _rollout_limits(deployment: dict[str, Any]) -> tuple[int, int]:
    """Return maxSurge (percentages rounded up) and maxUnavailable (rounded down); both 0 means 1 unavailable."""
    strategy = deployment["spec"].get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, deployment["spec"].get("replicas", 1)
    rolling = strategy.get("rollingUpdate") or {}
    replicas = deployment["spec"].get("replicas", 1)

    def resolve(value: Any, round_up: bool) -> int:
        if isinstance(value, str) and value.endswith("%"):
            exact = replicas * int(value[:-1]) / 100
            return math.ceil(exact) if round_up else math.floor(exact)
        return int(value)

    surge = resolve(rolling.get("maxSurge", "25%"), round_up=True)
    unavailable = resolve(rolling.get("maxUnavailable", "25%"), round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _deadline_exceeded(deployment: dict[str, Any], conditions: list[dict[str, Any]]) -> bool:
    """Whether an unfinished rollout has gone progressDeadlineSeconds without completing.

    NOTE: the clock starts when the Progressing condition last changed, not at
    the last pod that became available, so a slow rollout that still makes
    progress also times out.
    """
    progressing = next((entry for entry in conditions if entry.get("type") == "Progressing"), None)
    if progressing is None:
        return False
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return True
    started = datetime.datetime.strptime(progressing.get("lastUpdateTime", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    elapsed = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    return elapsed > deployment["spec"].get("progressDeadlineSeconds", 600)


class DeploymentController(Controller):
    """Roll each Deployment's pod template out through ReplicaSets."""

    def reconcile(self) -> None:
        deployment_rt = self.resource("apps", "Deployment")
        rs_rt = self.resource("apps", "ReplicaSet")
        deployments, revision = self.api.list(deployment_rt, None)
        replica_sets, revision = self.api.list(rs_rt, None)
        for deployment in deployments:
            if is_deleting(deployment) or deployment["spec"].get("paused"):
                continue
            owned = [rs for rs in replica_sets if owned_by(rs, deployment)]
            self._sync(deployment_rt, rs_rt, deployment, owned)

    def _sync(self, deployment_rt: Any, rs_rt: Any, deployment: dict[str, Any], owned: list[dict[str, Any]]) -> None:
        namespace = deployment["metadata"]["namespace"]
        template = deployment["spec"].get("template") or {}
        desired = deployment["spec"].get("replicas", 1)
        new_rs = next((rs for rs in owned if _without_hash(rs["spec"].get("template") or {}) == template), None)
        old = sorted((rs for rs in owned if rs is not new_rs), key=_revision)
        newest_revision = max((_revision(rs) for rs in owned), default=0)
        old_replicas = sum(rs["spec"].get("replicas", 0) for rs in old)
        recreate = (deployment["spec"].get("strategy") or {}).get("type") == "Recreate"
        surge, unavailable = _rollout_limits(deployment)
        created_new = False

        # Scale up the new ReplicaSet as far as the surge allows (Recreate: once the old pods are gone).
        if recreate:
            old_pods = sum((rs.get("status") or {}).get("replicas", 0) for rs in old)
            target = desired if old_replicas == 0 and old_pods == 0 else 0
        else:
            target = min(desired, max(0, desired + surge - old_replicas))
        if new_rs is None:
            new_rs = self._create_replica_set(rs_rt, deployment, template, newest_revision + 1, target)
            created_new = True
        else:
            if _revision(new_rs) < newest_revision:
                new_rs = self._set_revision(rs_rt, new_rs, newest_revision + 1)
            current = new_rs["spec"].get("replicas", 0)
            if recreate:
                wanted = target
            elif current > desired:
                wanted = desired
            else:
                # During a rollout the new ReplicaSet only grows.
                wanted = max(current, target)
            if wanted != current:
                new_rs = self._scale(rs_rt, new_rs, wanted)
                self._scaled_event(deployment, new_rs, current, wanted)

        # Scale down old ReplicaSets while enough pods stay available (Recreate: at once).
        all_sets = [new_rs] + old
        available = sum((rs.get("status") or {}).get("availableReplicas", 0) for rs in all_sets)
        removable = desired if recreate else max(0, available - (desired - unavailable))
        for rs in old:
            current = rs["spec"].get("replicas", 0)
            if current == 0:
                continue
            unhealthy = max(0, current - (rs.get("status") or {}).get("availableReplicas", 0))
            reduce = current if recreate else min(current, removable + unhealthy)
            if reduce <= 0:
                continue
            removable = max(0, removable - max(0, reduce - unhealthy))
            self._scale(rs_rt, rs, current - reduce)
            self._scaled_event(deployment, rs, current, current - reduce)

        revision = new_rs["metadata"].get("annotations", {}).get(REVISION_ANNOTATION)
        if revision and deployment["metadata"].get("annotations", {}).get(REVISION_ANNOTATION) != revision:
            annotated = clone(deployment)
            annotated["metadata"].setdefault("annotations", {})[REVISION_ANNOTATION] = revision
            deployment = self.api.update(deployment_rt, namespace, deployment["metadata"]["name"], annotated)
        self._report(deployment_rt, deployment, new_rs, old, created_new)

    def _set_revision(self, rs_rt: Any, replica_set: dict[str, Any], revision: int) -> dict[str, Any]:
        """Give a ReplicaSet that becomes current again (rollout undo) the next revision."""
        updated = clone(replica_set)
        updated["metadata"].setdefault("annotations", {})[REVISION_ANNOTATION] = str(revision)
        return self.api.update(rs_rt, replica_set["metadata"]["namespace"], replica_set["metadata"]["name"], updated)

    def _create_replica_set(self, rs_rt: Any, deployment: dict[str, Any], template: dict[str, Any], revision: int, replicas: int) -> dict[str, Any]:
        namespace = deployment["metadata"]["namespace"]
        collision_count = (deployment.get("status") or {}).get("collisionCount", 0)
        template_hash = pod_template_hash(template, collision_count)

        rs_template = clone(template)
        rs_template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = template_hash
        selector = clone(deployment["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = template_hash
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels[HASH_LABEL] = template_hash
        desired = deployment["spec"].get("replicas", 1)

        body = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{deployment['metadata']['name']}-{template_hash}",
                "namespace": namespace,
                "labels": labels,
                "annotations": {
                    "deployment.kubernetes.io/desired-replicas": str(desired),
                    "deployment.kubernetes.io/max-replicas": str(desired + _rollout_limits(deployment)[0]),
                    REVISION_ANNOTATION: str(revision),
                },
                "ownerReferences": [owner_reference(deployment)],
            },
            "spec": {
                "replicas": replicas,
                "minReadySeconds": deployment["spec"].get("minReadySeconds", 0),
                "selector": selector,
                "template": rs_template,
            },
        }
        created = self.api.create(rs_rt, namespace, body)

        if replicas:
            self._scaled_event(deployment, created, 0, replicas)
        return created

    def _scale(self, rs_rt: Any, replica_set: dict[str, Any], replicas: int) -> dict[str, Any]:
        scaled = clone(replica_set)
        scaled["spec"]["replicas"] = replicas
        scaled["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/desired-replicas"] = str(replicas)
        return self.api.update(rs_rt, replica_set["metadata"]["namespace"], replica_set["metadata"]["name"], scaled)

    def _scaled_event(self, deployment: dict[str, Any], replica_set: dict[str, Any], before: int, after: int) -> None:
        direction = "up" if after > before else "down"
        message = f"Scaled {direction} replica set {replica_set['metadata']['name']} from {before} to {after}"
        record_event(self.api, deployment, "ScalingReplicaSet", message, COMPONENT)

    def _report(self, deployment_rt: Any, deployment: dict[str, Any], new_rs: dict[str, Any], old: list[dict[str, Any]], created_new: bool) -> None:
        desired = deployment["spec"].get("replicas", 1)
        all_sets = [new_rs] + old
        replicas = sum((rs.get("status") or {}).get("replicas", 0) for rs in all_sets)
        ready = sum((rs.get("status") or {}).get("readyReplicas", 0) for rs in all_sets)
        available = sum((rs.get("status") or {}).get("availableReplicas", 0) for rs in all_sets)
        updated = (new_rs.get("status") or {}).get("replicas", 0)
        status = clone(deployment.get("status") or {})
        status.update({"observedGeneration": deployment["metadata"].get("generation", 1), "replicas": replicas, "updatedReplicas": updated,
                       "readyReplicas": ready, "availableReplicas": available, "unavailableReplicas": max(0, desired - available)})
        for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"):
            if status[key] == 0:
                del status[key]

        conditions = status.get("conditions") or []
        max_unavailable = 0 if (deployment["spec"].get("strategy") or {}).get("type") == "Recreate" else _rollout_limits(deployment)[1]
        if available >= desired - max_unavailable:
            conditions = set_condition(conditions, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", update_time=True)
        else:
            conditions = set_condition(conditions, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.",
                                       update_time=True)
        name = new_rs["metadata"]["name"]
        old_pods = sum((rs.get("status") or {}).get("replicas", 0) for rs in old)
        if updated == desired and available == desired and old_pods == 0 and (new_rs.get("status") or {}).get("availableReplicas", 0) == desired:
            conditions = set_condition(conditions, "Progressing", "True", "NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.',
                                       update_time=True)
        elif created_new:
            conditions = set_condition(conditions, "Progressing", "True", "NewReplicaSetCreated", f'Created new replica set "{name}"', update_time=True)
        elif _deadline_exceeded(deployment, conditions):
            conditions = set_condition(conditions, "Progressing", "False", "ProgressDeadlineExceeded", f'ReplicaSet "{name}" has timed out progressing.',
                                       update_time=True)
        else:
            conditions = set_condition(conditions, "Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.', update_time=True)
        order = ["Available", "Progressing"]
        status["conditions"] = sorted(conditions, key=lambda entry: order.index(entry["type"]) if entry["type"] in order else 2)
        self.write_status(deployment_rt, deployment, status)
