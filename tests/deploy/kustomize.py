"""The part of kustomize that deploy/kubernetes uses, in Python, so the checks need no binary.

Supported kustomization fields: ``resources`` (files and directories), ``namespace``,
``images`` and ``patches`` (strategic merge, from a file, optionally with a ``target`` of kind
and name). Anything else in a kustomization.yaml is an error here, so the manifests cannot
drift into features this renderer would silently ignore. When kubectl is installed a test
compares this rendering with ``kubectl kustomize``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]

SUPPORTED_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED_KINDS = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
}
# Strategic merge keys of the built-in list fields the patches touch; other lists are replaced.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
}


class KustomizeError(Exception):
    pass


def load_documents(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def render(directory: Path) -> list[Resource]:
    """The resources the kustomization in ``directory`` produces."""
    kustomization_file = directory / "kustomization.yaml"
    kustomization = yaml.safe_load(kustomization_file.read_text()) or {}
    unsupported = set(kustomization) - SUPPORTED_FIELDS
    if unsupported:
        raise KustomizeError(f"{kustomization_file}: unsupported fields {sorted(unsupported)}")
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            resources += render(path)
        elif path.is_file():
            resources += load_documents(path)
        else:
            raise KustomizeError(f"{kustomization_file}: resource {entry} does not exist")
    for patch in kustomization.get("patches", []):
        _apply_patch_entry(directory, patch, resources)
    if namespace := kustomization.get("namespace"):
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED_KINDS:
                resource.setdefault("metadata", {})["namespace"] = namespace
    for image in kustomization.get("images", []):
        _set_image(image, resources)
    _check_unique(resources, kustomization_file)
    return resources


def _check_unique(resources: list[Resource], origin: Path) -> None:
    seen = set()
    for resource in resources:
        key = resource_id(resource)
        if key in seen:
            raise KustomizeError(f"{origin}: {key} appears twice")
        seen.add(key)


def resource_id(resource: Resource) -> tuple[str, str, str | None, str]:
    meta = resource.get("metadata", {})
    return (resource["apiVersion"], resource["kind"], meta.get("namespace"), meta["name"])


def _apply_patch_entry(directory: Path, entry: dict[str, Any], resources: list[Resource]) -> None:
    if set(entry) - {"path", "target"}:
        raise KustomizeError(f"unsupported patch options {sorted(set(entry) - {'path', 'target'})}")
    patches = load_documents(directory / entry["path"])
    target = entry.get("target")
    for patch in patches:
        if target is not None:
            matches = [r for r in resources if _matches_target(r, target)]
        else:
            matches = [r for r in resources if _same_object(r, patch)]
        if not matches:
            raise KustomizeError(f"patch {entry['path']} ({_describe(patch)}) matches nothing")
        for resource in matches:
            strategic = is_builtin(resource)
            body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind", "metadata")}
            merge(resource, body, strategic)
            patch_meta = {
                k: v for k, v in patch.get("metadata", {}).items() if k in ("labels", "annotations")
            }
            merge(resource.setdefault("metadata", {}), patch_meta, strategic)


def _describe(patch: Resource) -> str:
    return f"{patch.get('kind')}/{patch.get('metadata', {}).get('name')}"


def _matches_target(resource: Resource, target: dict[str, Any]) -> bool:
    if set(target) - {"kind", "name"}:
        raise KustomizeError(f"unsupported target fields {sorted(set(target) - {'kind', 'name'})}")
    if "kind" in target and resource["kind"] != target["kind"]:
        return False
    return (
        "name" not in target
        or re.fullmatch(target["name"], resource["metadata"]["name"]) is not None
    )


def _same_object(resource: Resource, patch: Resource) -> bool:
    meta, patch_meta = resource.get("metadata", {}), patch.get("metadata", {})
    if resource["kind"] != patch.get("kind") or meta.get("name") != patch_meta.get("name"):
        return False
    namespace = patch_meta.get("namespace")
    return namespace is None or namespace == meta.get("namespace")


def is_builtin(resource: Resource) -> bool:
    """Kubernetes' own kinds (core, apps, batch, *.k8s.io), as opposed to custom resources."""
    group = resource["apiVersion"].rpartition("/")[0]
    return group == "" or "." not in group or group.endswith(".k8s.io")


def merge(base: dict[str, Any], patch: dict[str, Any], strategic: bool) -> None:
    """Strategic merge for built-in kinds (lists with a merge key merge by it), JSON merge
    patch semantics otherwise (lists are replaced); ``null`` deletes a key in both."""
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value, strategic)
        elif (
            strategic
            and key in MERGE_KEYS
            and isinstance(value, list)
            and isinstance(base.get(key), list)
        ):
            _merge_list(base[key], value, MERGE_KEYS[key])
        else:
            base[key] = copy.deepcopy(value)


def _merge_list(base: list[Any], patch: list[Any], merge_key: str) -> None:
    for item in patch:
        existing = next((b for b in base if b.get(merge_key) == item.get(merge_key)), None)
        if existing is None:
            base.append(copy.deepcopy(item))
        else:
            merge(existing, item, strategic=True)


def _set_image(image: dict[str, str], resources: list[Resource]) -> None:
    for resource in resources:
        for container in pod_containers(resource):
            name, _, tag = container.get("image", "").partition(":")
            if name != image["name"]:
                continue
            new_name = image.get("newName", name)
            new_tag = image.get("newTag", tag)
            if digest := image.get("digest"):
                container["image"] = f"{new_name}@{digest}"
            else:
                container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name


def pod_spec(resource: Resource) -> dict[str, Any] | None:
    if resource["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        return resource["spec"]["template"]["spec"]
    return None


def pod_containers(resource: Resource) -> list[dict[str, Any]]:
    spec = pod_spec(resource)
    if spec is None:
        return []
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def normalised(value: Any) -> Any:
    """For comparing renderings: lists of named items in name order, scalars as strings."""
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalised(v) for v in value]
        if items and all(isinstance(i, dict) and "name" in i for i in items):
            items.sort(key=lambda i: str(i["name"]))
        return items
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
